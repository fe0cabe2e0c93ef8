/**
 * The colour augmentation of the paper's ImageNet training (Sec. 3.4: "the standard color
 * augmentation in [21]"), AlexNet's PCA lighting (Krizhevsky et al., 2012, Sec. 4.1): add to every
 * pixel the RGB offset Σⱼ αⱼ λⱼ vⱼ, with (λⱼ, vⱼ) the eigenpairs of the RGB covariance of ImageNet's
 * pixels and αⱼ ~ N(0, 0.1²) drawn once per image. The constants are the ones the common ImageNet
 * ResNet trainings use, for RGB pixels scaled to [0, 1].
 */
import { ResNetError } from '../../errors.js';

/** Eigenvalues λ of ImageNet's RGB pixel covariance (pixels in [0, 1]), largest first. */
export const PCA_EIGENVALUES: readonly number[] = [0.2175, 0.0188, 0.0045];

/** Eigenvectors, as the columns of this matrix: row r is the red, green or blue component; column j goes with PCA_EIGENVALUES[j]. */
export const PCA_EIGENVECTORS: readonly (readonly number[])[] = [
  [-0.5675, 0.7192, 0.4009],
  [-0.5808, -0.0045, -0.814],
  [-0.5836, -0.6948, 0.4203],
];

/** AlexNet's standard deviation of α. */
export const PCA_ALPHA_STD = 0.1;

/**
 * The RGB offset (for pixels in [0, 1]) that PCA lighting with coefficients `alpha` (already scaled
 * by the standard deviation) adds to every pixel: offset[r] = Σⱼ PCA_EIGENVECTORS[r][j] · alpha[j] · PCA_EIGENVALUES[j].
 */
export function pcaLighting(alpha: ArrayLike<number>): Float64Array {
  if (alpha.length !== 3) throw new ResNetError(`pcaLighting: alpha must have 3 values, got ${alpha.length}`);
  const out = new Float64Array(3);
  for (let r = 0; r < 3; r++) {
    let sum = 0;
    for (let j = 0; j < 3; j++) sum += PCA_EIGENVECTORS[r]![j]! * alpha[j]! * PCA_EIGENVALUES[j]!;
    out[r] = sum;
  }
  return out;
}
