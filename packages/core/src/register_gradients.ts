// Registers tfjs-core's gradient functions with the shared engine, so that training and
// tf.grad work whichever backend package is loaded. See scripts/bundle-gradients.mjs for why
// this is a bundle generated at build time rather than a plain import of tfjs-core.
//
// tfjs-core itself must be evaluated first: the bundle carries its own copy of tfjs internals,
// and whichever copy runs first creates the process-global engine. If the bundle did, tensors
// would be of its Tensor class, whose chained-op handler (x.clone(), x.cast()) is never set.
import '@tensorflow/tfjs-core';
import '../vendor/tfjs-gradients.js';
