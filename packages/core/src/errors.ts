/** Every error this library throws on bad input: the message names the value and what was expected. */
export class ResNetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResNetError';
  }
}
