/*
 * Every architecture with a TypeScript builder, one line each. ./registry.ts turns this list into
 * the table convert looks `architecture.type` up in.
 */
export { cnnClassifier } from './cnn-classifier.js';
export { convVae } from './conv-vae.js';
export { dcgan } from './dcgan.js';
export { conditionalUnet } from './conditional-unet.js';
export { convAutoencoder } from './conv-autoencoder.js';
export { mlpDenoiser } from './mlp-denoiser.js';
