// 3×3 stride-1 convolution by Winograd's minimal filtering F(2×2, 3×3) (Lavin & Gray, "Fast
// Algorithms for Convolutional Neural Networks", 2016): each 2×2 block of outputs is computed from
// a 4×4 block of inputs with 16 multiplications per input/output channel pair instead of 36,
//
//   Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A,
//
// so the convolution becomes 16 independent GEMMs, Mξ[tile, co] = Σ_ci Vξ[tile, ci] · Uξ[ci, co],
// between the transformed inputs V = Bᵀ d B and the transformed filter U = G g Gᵀ. The transforms'
// coefficients are 0, ±1 and ±½, so they add few rounding errors of their own.
//
// Used for the layers where it measured faster than the direct kernel of csrc/conv.c (see
// src/kernels/Conv2D.ts). NHWC input, HWIO filter, 'same' padding of 1 (or any top/left ≤ 2),
// optional bias and ReLU as conv.c. Tiles go in blocks of TILE_BLOCK, each three jobs on the pool:
// input transform (items: groups of tiles), the 16 GEMMs (items: ξ × 256 tiles × 64 channels),
// output transform (items: groups of tiles). The filter transform is packed in 8-column panels,
// [16][Cout/8][Cin][8], and kept with the filter for inference like conv.c's packing.
#include "kernels.h"

#define TILE_M 4
#define TILE_N 8
#define M_BLOCK 256
#define PANEL_GROUP 8
#define TILE_BLOCK 2048   // tiles per block: V and M stay under 16·2048·(Cin + Cout) floats
#define TILES_PER_ITEM 32 // of the transforms

static inline size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

typedef struct {
  const float *x, *u, *bias;
  float *v, *m, *y;
  uint32_t n, h, w, cin, cout, top, left, oh, ow, th, tw, tile0, tiles, relu;
} WinoArgs;

_Static_assert(sizeof(WinoArgs) <= sizeof(((RnJob *)0)->args), "WinoArgs must fit in a job");

// Bytes of the packed filter transform U.
EXPORT(winograd_filter_bytes) size_t winograd_filter_bytes(size_t cin, size_t cout) {
  const size_t floats = rn_mul_size(rn_mul_size(16, cin), round_up(cout, TILE_N));
  return floats == 0 ? 0 : rn_mul_size(floats, sizeof(float));
}

// Bytes of the scratch for V and M of one block of tiles.
EXPORT(winograd_scratch_bytes) size_t winograd_scratch_bytes(size_t n, size_t oh, size_t ow, size_t cin, size_t cout) {
  const size_t tiles = rn_mul_size(n, rn_mul_size((oh + 1) / 2, (ow + 1) / 2));
  const size_t block = tiles < TILE_BLOCK ? tiles : TILE_BLOCK;
  const size_t floats = rn_mul_size(rn_mul_size(16, block), cin + round_up(cout, TILE_N));
  return floats == 0 ? 0 : rn_mul_size(floats, sizeof(float));
}

// U = G g Gᵀ for every (ci, co), written as panels [ξ][p][ci][8]; G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1].
EXPORT(winograd_filter) int winograd_filter(const float *g, size_t cin, size_t cout, float *u, size_t u_bytes) {
  if (cin == 0 || cout == 0 || winograd_filter_bytes(cin, cout) == 0 || u_bytes < winograd_filter_bytes(cin, cout)) return RN_BAD_SIZE;
  const size_t panels = round_up(cout, TILE_N) / TILE_N;
  for (size_t ci = 0; ci < cin; ci++)
    for (size_t co = 0; co < panels * TILE_N; co++) {
      float k[3][3];
      for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < 3; b++) k[a][b] = co < cout ? g[((a * 3 + b) * cin + ci) * cout + co] : 0.f;
      float t[4][3];  // G g
      for (size_t b = 0; b < 3; b++) {
        t[0][b] = k[0][b];
        t[1][b] = 0.5f * (k[0][b] + k[1][b] + k[2][b]);
        t[2][b] = 0.5f * (k[0][b] - k[1][b] + k[2][b]);
        t[3][b] = k[2][b];
      }
      const size_t p = co / TILE_N, j = co % TILE_N;
      for (size_t i = 0; i < 4; i++) {
        const float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
        for (size_t q = 0; q < 4; q++) u[(((i * 4 + q) * panels + p) * cin + ci) * TILE_N + j] = r[q];
      }
    }
  return RN_OK;
}

// V = Bᵀ d B for a group of tiles, 4 channels at a time; Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
// V is [ξ][tile in block][ci].
void rn_winograd_input_item(const RnJob *job, size_t item) {
  const WinoArgs *a = (const WinoArgs *)job->args;
  const size_t h = a->h, w = a->w, cin = a->cin, th = a->th, tw = a->tw, tiles = a->tiles;
  const size_t t_begin = item * TILES_PER_ITEM, t_end = tiles - t_begin < TILES_PER_ITEM ? tiles : t_begin + TILES_PER_ITEM;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t t = t_begin; t < t_end; t++) {
    const size_t tile = a->tile0 + t, img = tile / (th * tw), rest = tile - img * th * tw, ty = rest / tw, tx = rest - ty * tw;
    const ptrdiff_t y0 = (ptrdiff_t)(2 * ty) - (ptrdiff_t)a->top, x0 = (ptrdiff_t)(2 * tx) - (ptrdiff_t)a->left;
    const float *image = a->x + img * h * w * cin;
    const float *row[4];
    int col_ok[4];
    for (int i = 0; i < 4; i++) {
      const ptrdiff_t iy = y0 + i, ix = x0 + i;
      row[i] = iy >= 0 && (size_t)iy < h ? image + (size_t)iy * w * cin : NULL;
      col_ok[i] = ix >= 0 && (size_t)ix < w;
    }
    for (size_t ci = 0; ci < cin; ci += 4) {
      v128_t d[4][4];
      for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
          d[i][j] = row[i] && col_ok[j] ? wasm_v128_load(row[i] + (size_t)(x0 + j) * cin + ci) : zero;
      v128_t s[4][4];  // Bᵀ d
      for (int j = 0; j < 4; j++) {
        s[0][j] = wasm_f32x4_sub(d[0][j], d[2][j]);
        s[1][j] = wasm_f32x4_add(d[1][j], d[2][j]);
        s[2][j] = wasm_f32x4_sub(d[2][j], d[1][j]);
        s[3][j] = wasm_f32x4_sub(d[1][j], d[3][j]);
      }
      for (int i = 0; i < 4; i++) {
        const v128_t r0 = wasm_f32x4_sub(s[i][0], s[i][2]), r1 = wasm_f32x4_add(s[i][1], s[i][2]);
        const v128_t r2 = wasm_f32x4_sub(s[i][2], s[i][1]), r3 = wasm_f32x4_sub(s[i][1], s[i][3]);
        float *v = a->v + ((size_t)(i * 4) * tiles + t) * cin + ci;
        wasm_v128_store(v, r0);
        wasm_v128_store(v + tiles * cin, r1);
        wasm_v128_store(v + 2 * tiles * cin, r2);
        wasm_v128_store(v + 3 * tiles * cin, r3);
      }
    }
  }
}

// Mξ = Vξ · Uξ for one ξ, one block of M_BLOCK tiles and one group of 8-column panels (4×8 tiles).
void rn_winograd_gemm_item(const RnJob *job, size_t item) {
  const WinoArgs *a = (const WinoArgs *)job->args;
  const size_t cin = a->cin, cout = a->cout, tiles = a->tiles, panels = round_up(cout, TILE_N) / TILE_N;
  const size_t groups = (panels + PANEL_GROUP - 1) / PANEL_GROUP, blocks = (tiles + M_BLOCK - 1) / M_BLOCK;
  const size_t xi = item / (blocks * groups), rest = item - xi * blocks * groups, mb = rest / groups * M_BLOCK, group = rest % groups;
  const size_t m_end = tiles - mb < M_BLOCK ? tiles : mb + M_BLOCK;
  const size_t p_begin = group * PANEL_GROUP, p_end = panels - p_begin < PANEL_GROUP ? panels : p_begin + PANEL_GROUP;
  const size_t cout_pad = panels * TILE_N;
  const float *v = a->v + xi * tiles * cin;
  float *m = a->m + xi * tiles * cout_pad;
  for (size_t p = p_begin; p < p_end; p++) {
    const float *u = a->u + (xi * panels + p) * cin * TILE_N;
    for (size_t m0 = mb; m0 < m_end; m0 += TILE_M) {
      const size_t rows = m_end - m0 < TILE_M ? m_end - m0 : TILE_M;
      const float *a0 = v + m0 * cin, *a1 = rows > 1 ? a0 + cin : a0, *a2 = rows > 2 ? a1 + cin : a1, *a3 = rows > 3 ? a2 + cin : a2;
      v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float *wk = u;
      for (size_t ci = 0; ci < cin; ci++, wk += TILE_N) {
        const v128_t b0 = wasm_v128_load(wk), b1 = wasm_v128_load(wk + 4);
        const v128_t x0 = wasm_v128_load32_splat(a0 + ci), x1 = wasm_v128_load32_splat(a1 + ci);
        const v128_t x2 = wasm_v128_load32_splat(a2 + ci), x3 = wasm_v128_load32_splat(a3 + ci);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
      }
      float *out = m + m0 * cout_pad + p * TILE_N;
      wasm_v128_store(out, c00), wasm_v128_store(out + 4, c01);
      if (rows > 1) wasm_v128_store(out + cout_pad, c10), wasm_v128_store(out + cout_pad + 4, c11);
      if (rows > 2) wasm_v128_store(out + 2 * cout_pad, c20), wasm_v128_store(out + 2 * cout_pad + 4, c21);
      if (rows > 3) wasm_v128_store(out + 3 * cout_pad, c30), wasm_v128_store(out + 3 * cout_pad + 4, c31);
    }
  }
}

// Y = Aᵀ M A (+ bias, ReLU) for a group of tiles, 4 channels at a time; Aᵀ = [1 1 1 0; 0 1 −1 −1].
void rn_winograd_output_item(const RnJob *job, size_t item) {
  const WinoArgs *a = (const WinoArgs *)job->args;
  const size_t cout = a->cout, th = a->th, tw = a->tw, oh = a->oh, ow = a->ow, tiles = a->tiles;
  const size_t cout_pad = round_up(cout, TILE_N);
  const size_t t_begin = item * TILES_PER_ITEM, t_end = tiles - t_begin < TILES_PER_ITEM ? tiles : t_begin + TILES_PER_ITEM;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t t = t_begin; t < t_end; t++) {
    const size_t tile = a->tile0 + t, img = tile / (th * tw), rest = tile - img * th * tw, ty = rest / tw, tx = rest - ty * tw;
    const size_t oy = 2 * ty, ox = 2 * tx;
    float *y0 = a->y + ((img * oh + oy) * ow + ox) * cout;
    const int down = oy + 1 < oh, right = ox + 1 < ow;
    for (size_t co = 0; co < cout; co += 4) {
      v128_t r[4][2];  // M A, row by row
      for (int i = 0; i < 4; i++) {
        const float *mi = a->m + ((size_t)(i * 4) * tiles + t) * cout_pad + co;
        const v128_t m0 = wasm_v128_load(mi), m1 = wasm_v128_load(mi + tiles * cout_pad);
        const v128_t m2 = wasm_v128_load(mi + 2 * tiles * cout_pad), m3 = wasm_v128_load(mi + 3 * tiles * cout_pad);
        r[i][0] = wasm_f32x4_add(wasm_f32x4_add(m0, m1), m2);
        r[i][1] = wasm_f32x4_sub(wasm_f32x4_sub(m1, m2), m3);
      }
      const v128_t bias = a->bias ? (cout - co >= 4 ? wasm_v128_load(a->bias + co)
                                                     : wasm_f32x4_make(a->bias[co], cout - co > 1 ? a->bias[co + 1] : 0.f,
                                                                       cout - co > 2 ? a->bias[co + 2] : 0.f, 0.f))
                                  : zero;
      v128_t out[2][2];
      for (int q = 0; q < 2; q++) {
        out[0][q] = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(r[0][q], r[1][q]), r[2][q]), bias);
        out[1][q] = wasm_f32x4_add(wasm_f32x4_sub(wasm_f32x4_sub(r[1][q], r[2][q]), r[3][q]), bias);
        if (a->relu) out[0][q] = wasm_f32x4_pmax(out[0][q], zero), out[1][q] = wasm_f32x4_pmax(out[1][q], zero);
      }
      const size_t count = cout - co < 4 ? cout - co : 4;
      for (int i = 0; i < 2; i++)
        for (int q = 0; q < 2; q++) {
          if ((i && !down) || (q && !right)) continue;
          float *dst = y0 + ((size_t)i * ow + (size_t)q) * cout + co;
          if (count == 4) {
            wasm_v128_store(dst, out[i][q]);
          } else {
            dst[0] = wasm_f32x4_extract_lane(out[i][q], 0);
            if (count > 1) dst[1] = wasm_f32x4_extract_lane(out[i][q], 1);
            if (count > 2) dst[2] = wasm_f32x4_extract_lane(out[i][q], 2);
          }
        }
    }
  }
}

EXPORT(winograd_conv3x3)
int winograd_conv3x3(RnJob *job, const float *x, size_t n, size_t h, size_t w, size_t cin, const float *u, size_t cout, size_t top,
                     size_t left, size_t oh, size_t ow, const float *bias, int relu, float *y, void *scratch, size_t scratch_bytes) {
  if (n == 0 || h == 0 || w == 0 || cin == 0 || cout == 0 || oh == 0 || ow == 0) return RN_BAD_SIZE;
  // Channels in groups of 4 (the transforms' vectors); windows inside [−2, size + 2).
  if (cin % 4 != 0 || top > 2 || left > 2 || (relu != 0 && relu != 1)) return RN_BAD_SIZE;
  if (rn_mul_size(rn_mul_size(n, h), rn_mul_size(w, cin)) == 0 || rn_mul_size(rn_mul_size(n, oh), rn_mul_size(ow, cout)) == 0)
    return RN_BAD_SIZE;
  const size_t need = winograd_scratch_bytes(n, oh, ow, cin, cout);
  if (need == 0 || scratch_bytes < need) return RN_BAD_SCRATCH;
  const size_t th = (oh + 1) / 2, tw = (ow + 1) / 2, total = n * th * tw;
  if (total > UINT32_MAX) return RN_BAD_SIZE;
  const size_t block = total < TILE_BLOCK ? total : TILE_BLOCK, cout_pad = round_up(cout, TILE_N);
  const size_t panels = cout_pad / TILE_N, groups = (panels + PANEL_GROUP - 1) / PANEL_GROUP;
  WinoArgs *a = (WinoArgs *)job->args;
  a->x = x, a->u = u, a->bias = bias, a->v = (float *)scratch, a->m = (float *)scratch + 16 * block * cin, a->y = y;
  a->n = n, a->h = h, a->w = w, a->cin = cin, a->cout = cout, a->top = top, a->left = left, a->oh = oh, a->ow = ow;
  a->th = th, a->tw = tw, a->relu = relu;
  for (size_t tile0 = 0; tile0 < total; tile0 += block) {
    const size_t tiles = total - tile0 < block ? total - tile0 : block;
    a->tile0 = tile0, a->tiles = tiles;
    rn_parallel(job, RN_JOB_WINOGRAD_INPUT, (tiles + TILES_PER_ITEM - 1) / TILES_PER_ITEM);
    rn_parallel(job, RN_JOB_WINOGRAD_GEMM, 16 * ((tiles + M_BLOCK - 1) / M_BLOCK) * groups);
    rn_parallel(job, RN_JOB_WINOGRAD_OUTPUT, (tiles + TILES_PER_ITEM - 1) / TILES_PER_ITEM);
  }
  return RN_OK;
}
