export { default } from '@resnet/eslint-config';
