// The filter gradient of a 2-D convolution (NHWC input x, dY, HWIO dW), as a GEMM over the pixels:
//
//   dW[a, b, ci, co] = Σ_{n, oy, ox} x[n, oy·sh + a − top, ox·sw + b − left, ci] · dY[n, oy, ox, co]
//
// (0 where the tap falls in the padding). The output is small (K = KH·KW·Cin rows of Cout) and the
// sum long (every output pixel), so the sum is split into P chunks of output rows (n, oy), each
// summed into its own copy of dW: chunk 0 into dW, the others into partials in the scratch buffer,
// which a second job adds into dW in chunk order. Each chunk is split again into groups of input
// channels (disjoint rows of dW), so that layers with few pixels still give every thread work. P depends on the shape only, not on how many
// threads run, so the result is the same on any number of threads.
//
// Within a chunk, output rows go in blocks of about BLOCK_PIXELS pixels (their x and dY rows stay
// in L1/L2); for each block, each tap, each 4 input channels and each 8 output channels, a 4×8
// register tile is loaded from the chunk's dW, accumulated over the block's pixels and stored back.
// For one output row and tap, the valid pixels are one contiguous range: no test per pixel.
#include "kernels.h"

#define TILE_CI 4
#define TILE_CO 8
#define BLOCK_PIXELS 128
#define MAX_CHUNKS 8
#define PARTIALS_BUDGET (16u << 20)  // bytes of partial copies of dW at most
#define SUM_BLOCK 4096               // floats per item of the summing job
#define CI_GROUP 64                  // input channels per work item (a multiple of TILE_CI)
#define PIXELS_PER_CHUNK 2048        // fewer pixels per chunk, and a chunk's copy of dW costs more than its sum

typedef struct {
  const float *x, *dy;
  float *dw, *partials;
  uint32_t n, h, w, cin, oh, ow, cout, kh, kw, sh, sw, top, left, chunks, groups;
} FilterArgs;

typedef struct {
  float *dst;
  const float *partials;
  uint32_t size, count;  // floats of dW; partial copies to add
} SumArgs;

_Static_assert(sizeof(FilterArgs) <= sizeof(((RnJob *)0)->args), "FilterArgs must fit in a job");

// Chunks of output rows, each summed into its own copy of dW: at most MAX_CHUNKS, at least
// PIXELS_PER_CHUNK pixels each, and copies within PARTIALS_BUDGET. Layers with few pixels and many
// channels (ResNet-50's conv5_x at batch 8) get one chunk; their parallelism is the channel groups.
static size_t chunks_for(size_t rows, size_t ow, size_t dw_floats) {
  size_t chunks = rows < MAX_CHUNKS ? rows : MAX_CHUNKS;
  const size_t by_pixels = rn_mul_size(rows, ow) / PIXELS_PER_CHUNK;
  if (chunks > by_pixels) chunks = by_pixels > 1 ? by_pixels : 1;
  while (chunks > 1 && rn_mul_size(chunks - 1, rn_mul_size(dw_floats, sizeof(float))) > PARTIALS_BUDGET) chunks--;
  return chunks;
}

// Scratch: the partial copies of dW (chunks − 1 of them).
EXPORT(conv2d_filter_scratch_bytes)
size_t conv2d_filter_scratch_bytes(size_t n, size_t oh, size_t ow, size_t kh, size_t kw, size_t cin, size_t cout) {
  const size_t dw_floats = rn_mul_size(rn_mul_size(kh, kw), rn_mul_size(cin, cout)), rows = rn_mul_size(n, oh);
  if (dw_floats == 0 || rows == 0) return 0;
  return (chunks_for(rows, ow, dw_floats) - 1) * dw_floats * sizeof(float);
}

// First and last+1 valid output column of a row for tap column b: 0 ≤ ox·sw + b − left < w.
static inline void valid_columns(size_t b, size_t left, size_t sw, size_t w, size_t ow, size_t *lo, size_t *hi) {
  size_t first = 0;
  if (left > b) first = (left - b + sw - 1) / sw;
  size_t last = 0;  // exclusive
  if (w + left > b) {
    last = (w - 1 + left - b) / sw + 1;
    if (last > ow) last = ow;
  }
  *lo = first;
  *hi = last > first ? last : first;
}

// One chunk of output rows, one group of CI_GROUP input channels: its part of the chunk's copy of dW.
void rn_conv2d_filter_item(const RnJob *job, size_t item) {
  const FilterArgs *f = (const FilterArgs *)job->args;
  const size_t chunk = item / f->groups, group = item % f->groups;
  const size_t h = f->h, w = f->w, cin = f->cin, oh = f->oh, ow = f->ow, cout = f->cout, kh = f->kh, kw = f->kw;
  const size_t sh = f->sh, sw = f->sw, top = f->top, left = f->left;
  const size_t rows = (size_t)f->n * oh, dw_floats = kh * kw * cin * cout;
  const size_t r_begin = rows * chunk / f->chunks, r_end = rows * (chunk + 1) / f->chunks;
  float *dw = chunk == 0 ? f->dw : f->partials + (chunk - 1) * dw_floats;
  const size_t ci_begin = group * CI_GROUP, ci_end = cin - ci_begin < CI_GROUP ? cin : ci_begin + CI_GROUP;
  for (size_t t = 0; t < kh * kw; t++)
    for (size_t i = (t * cin + ci_begin) * cout, end = (t * cin + ci_end) * cout; i < end; i++) dw[i] = 0.f;
  const size_t block_rows = ow >= BLOCK_PIXELS ? 1 : BLOCK_PIXELS / ow;
  // Whole tiles of 4 channels up to the last full one of the group (cin's remainder: one at a time).
  const size_t ci_full = ci_begin + (ci_end - ci_begin) / TILE_CI * TILE_CI;

  for (size_t r0 = r_begin; r0 < r_end; r0 += block_rows) {
    const size_t r1 = r_end - r0 < block_rows ? r_end : r0 + block_rows;
    for (size_t a = 0; a < kh; a++) {
      for (size_t b = 0; b < kw; b++) {
        size_t ox_lo, ox_hi;
        valid_columns(b, left, sw, w, ow, &ox_lo, &ox_hi);
        if (ox_lo >= ox_hi) continue;
        float *dw_tap = dw + (a * kw + b) * cin * cout;
        for (size_t ci = ci_begin; ci < ci_end;) {
          const size_t tile = ci < ci_full ? TILE_CI : 1;
          for (size_t co = 0; co < cout; co += TILE_CO) {
            float *t = dw_tap + ci * cout + co;
            v128_t c00 = wasm_v128_load(t), c01 = wasm_v128_load(t + 4);
            v128_t c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
            if (tile == TILE_CI) {
              c10 = wasm_v128_load(t + cout), c11 = wasm_v128_load(t + cout + 4);
              c20 = wasm_v128_load(t + 2 * cout), c21 = wasm_v128_load(t + 2 * cout + 4);
              c30 = wasm_v128_load(t + 3 * cout), c31 = wasm_v128_load(t + 3 * cout + 4);
            }
            for (size_t r = r0; r < r1; r++) {
              const size_t img = r / oh, oy = r - img * oh;
              const size_t iy_plus = oy * sh + a;  // iy + top
              if (iy_plus < top || iy_plus - top >= h) continue;
              const size_t iy = iy_plus - top;
              const float *xp = f->x + ((img * h + iy) * w + (ox_lo * sw + b - left)) * cin + ci;
              const float *dp = f->dy + (r * ow + ox_lo) * cout + co;
              const size_t x_step = sw * cin;
              if (tile == TILE_CI) {
                for (size_t ox = ox_lo; ox < ox_hi; ox++, xp += x_step, dp += cout) {
                  const v128_t d0 = wasm_v128_load(dp), d1 = wasm_v128_load(dp + 4);
                  const v128_t a0 = wasm_v128_load32_splat(xp), a1 = wasm_v128_load32_splat(xp + 1);
                  const v128_t a2 = wasm_v128_load32_splat(xp + 2), a3 = wasm_v128_load32_splat(xp + 3);
                  c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, d0));
                  c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, d1));
                  c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, d0));
                  c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, d1));
                  c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, d0));
                  c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, d1));
                  c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, d0));
                  c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, d1));
                }
              } else {
                for (size_t ox = ox_lo; ox < ox_hi; ox++, xp += x_step, dp += cout) {
                  const v128_t a0 = wasm_v128_load32_splat(xp);
                  c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, wasm_v128_load(dp)));
                  c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, wasm_v128_load(dp + 4)));
                }
              }
            }
            wasm_v128_store(t, c00), wasm_v128_store(t + 4, c01);
            if (tile == TILE_CI) {
              wasm_v128_store(t + cout, c10), wasm_v128_store(t + cout + 4, c11);
              wasm_v128_store(t + 2 * cout, c20), wasm_v128_store(t + 2 * cout + 4, c21);
              wasm_v128_store(t + 3 * cout, c30), wasm_v128_store(t + 3 * cout + 4, c31);
            }
          }
          ci += tile;
        }
      }
    }
  }
}

// dst[i] += partial 0 [i] + partial 1 [i] + …, in that order, for one block of SUM_BLOCK floats.
void rn_sum_partials_item(const RnJob *job, size_t item) {
  const SumArgs *s = (const SumArgs *)job->args;
  const size_t begin = item * SUM_BLOCK, end = s->size - begin < SUM_BLOCK ? s->size : begin + SUM_BLOCK;
  for (size_t k = 0; k < s->count; k++) {
    const float *p = s->partials + k * (size_t)s->size;
    size_t i = begin;
    for (; i + 4 <= end; i += 4) wasm_v128_store(s->dst + i, wasm_f32x4_add(wasm_v128_load(s->dst + i), wasm_v128_load(p + i)));
    for (; i < end; i++) s->dst[i] += p[i];
  }
}

EXPORT(conv2d_filter_nhwc)
int conv2d_filter_nhwc(RnJob *job, const float *x, size_t n, size_t h, size_t w, size_t cin, const float *dy, size_t oh, size_t ow,
                       size_t cout, size_t kh, size_t kw, size_t sh, size_t sw, size_t top, size_t left, float *dw, void *scratch,
                       size_t scratch_bytes) {
  if (n == 0 || h == 0 || w == 0 || cin == 0 || oh == 0 || ow == 0 || cout == 0 || kh == 0 || kw == 0 || sh == 0 || sw == 0)
    return RN_BAD_SIZE;
  // The register tiles are 8 output channels wide (every ResNet's are multiples of 16).
  if (cout % TILE_CO != 0) return RN_BAD_SIZE;
  const size_t x_floats = rn_mul_size(rn_mul_size(n, h), rn_mul_size(w, cin));
  const size_t dy_floats = rn_mul_size(rn_mul_size(n, oh), rn_mul_size(ow, cout));
  const size_t dw_floats = rn_mul_size(rn_mul_size(kh, kw), rn_mul_size(cin, cout));
  if (x_floats == 0 || dy_floats == 0 || dw_floats == 0 || x_floats > UINT32_MAX || dy_floats > UINT32_MAX) return RN_BAD_SIZE;
  // Every row a tap reads must lie in the image: (oy·sh + a − top) is checked per row, and the
  // column range per tap (valid_columns); the corners must not overflow.
  if ((oh - 1) > (UINT32_MAX - kh) / sh || (ow - 1) > (UINT32_MAX - kw) / sw) return RN_BAD_SIZE;
  const size_t rows = n * oh, chunks = chunks_for(rows, ow, dw_floats), groups = (cin + CI_GROUP - 1) / CI_GROUP;
  if (scratch_bytes < (chunks - 1) * dw_floats * sizeof(float)) return RN_BAD_SCRATCH;

  FilterArgs *f = (FilterArgs *)job->args;
  f->x = x, f->dy = dy, f->dw = dw, f->partials = (float *)scratch;
  f->n = n, f->h = h, f->w = w, f->cin = cin, f->oh = oh, f->ow = ow, f->cout = cout, f->kh = kh, f->kw = kw;
  f->sh = sh, f->sw = sw, f->top = top, f->left = left, f->chunks = chunks, f->groups = groups;
  rn_parallel(job, RN_JOB_CONV2D_FILTER, chunks * groups);
  if (chunks > 1) {
    SumArgs *s = (SumArgs *)job->args;
    float *partials = (float *)scratch;
    s->dst = dw, s->partials = partials, s->size = dw_floats, s->count = chunks - 1;
    rn_parallel(job, RN_JOB_SUM_PARTIALS, (dw_floats + SUM_BLOCK - 1) / SUM_BLOCK);
  }
  return RN_OK;
}
