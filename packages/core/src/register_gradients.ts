// Registers tfjs-core's gradient functions with the shared engine, so that training and
// tf.grad work whichever backend package is loaded. See scripts/bundle-gradients.mjs for why
// this is a bundle generated at build time rather than a plain import of tfjs-core.
import '../vendor/tfjs-gradients.js';
