// Types for the generated gradient bundle (see scripts/bundle-gradients.mjs): it only registers.
export {};
