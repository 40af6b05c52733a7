/*
 * The kernels of wasm/assembly/ ported to C, pass for pass — validate the layout, decode
 * the indices into scratch, check the values, then dequantize a chunk at a time and
 * scatter-add with the f64 norm — so that `npm run bench` can compare WebAssembly with
 * native code running the same algorithm. scripts/bench/native.ts compiles it with
 * gcc -O3 -march=native, which vectorizes the plain loops below for the host (AVX2 on
 * x86-64, against WebAssembly's 128-bit SIMD). No reference vector: the benchmark
 * measures the server's hot path.
 *
 * usage: native PAYLOAD_FILE CODEC DIM SCALE MIN_MS RUNS
 *   CODEC 0…5 accumulates the payload of that codec; -1 is the dense weighted sum, with
 *   the file holding the dim f32 values of x.
 * prints one JSON object: {"code": 0 or the kernels' error code, "perSec": elements per
 * second (the best of RUNS runs of at least MIN_MS each, after a warm-up, as
 * scripts/bench/measure.ts does), "squaredNorm": of the update (0 for the weighted sum)}.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { OK, UNKNOWN_CODEC, TRUNCATED, TRAILING_BYTES, COUNT_MISMATCH, LARGER_THAN_DENSE, BAD_INDEX_CODING,
       BAD_RICE_PARAMETER, BAD_BLOCK_SIZE, BAD_SCALE, LEVEL_OUT_OF_RANGE, INDEX_OUT_OF_RANGE, VARINT_OVERFLOW,
       VARINT_OVERLONG, NONZERO_PADDING, NON_FINITE_VALUE };
enum { DENSE_F32, DENSE_F16, SPARSE_F32, SPARSE_F16, SPARSE_Q8, SPARSE_Q4 };
enum { VARINT, BITMAP, RICE };

static double squared_norm;

static inline uint32_t ld32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t ld64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline float ldf(const uint8_t *p) { float v; memcpy(&v, p, 4); return v; }
static inline uint64_t ceil_div(uint64_t n, uint64_t d) { return (n + d - 1) / d; }

/* Branch-free, as in wasm/assembly/half.ts, so that gcc can vectorize the loops using it. */
static inline float half_to_float(uint32_t h) {
  uint32_t magnitude = h & 0x7fff, sign = (h & 0x8000) << 16, subnormal_bits;
  float subnormal = (float)magnitude * 0x1p-24f, f;
  memcpy(&subnormal_bits, &subnormal, 4);
  uint32_t is_subnormal = -(uint32_t)(magnitude < 0x400);
  uint32_t bits = (subnormal_bits & is_subnormal) | (((magnitude << 13) + ((127 - 15) << 23)) & ~is_subnormal) | sign;
  memcpy(&f, &bits, 4);
  return f;
}

static int read_varints(const uint8_t *pos, const uint8_t *end, uint32_t dim, uint32_t n, uint32_t *out) {
  uint32_t next = 0;
  for (uint32_t j = 0; j < n; j++) {
    if (pos >= end) return TRUNCATED;
    uint32_t b = *pos++, gap = b;
    if (b >= 0x80) {
      gap = b & 0x7f;
      for (uint32_t i = 1;; i++) {
        if (pos >= end) return TRUNCATED;
        b = *pos++;
        if (i == 4) {
          if (b > 0x0f) return VARINT_OVERFLOW;
          if (b == 0) return VARINT_OVERLONG;
          gap |= b << 28;
          break;
        }
        gap |= (b & 0x7f) << (7 * i);
        if (b < 0x80) {
          if (b == 0) return VARINT_OVERLONG;
          break;
        }
      }
    }
    if (gap >= dim - next) return INDEX_OUT_OF_RANGE;
    out[j] = next + gap;
    next = out[j] + 1;
  }
  return pos == end ? OK : TRAILING_BYTES;
}

static int read_bitmap(const uint8_t *start, uint32_t dim, uint32_t n, uint32_t *out) {
  uint32_t length = (dim + 7) / 8, found = 0, b = 0, words = (length - 1) & ~7u;
  for (; b < words; b += 8) {
    uint64_t word = ld64(start + b);
    if (word == 0) continue;
    uint32_t count = (uint32_t)__builtin_popcountll(word);
    if (count > n - found) return COUNT_MISMATCH;
    while (word) {
      out[found++] = (b << 3) + (uint32_t)__builtin_ctzll(word);
      word &= word - 1;
    }
  }
  for (; b < length; b++) {
    uint32_t byte = start[b];
    while (byte) {
      uint32_t index = (b << 3) + (uint32_t)__builtin_ctz(byte);
      if (index >= dim) return INDEX_OUT_OF_RANGE;
      if (found == n) return COUNT_MISMATCH;
      out[found++] = index;
      byte &= byte - 1;
    }
  }
  return found == n ? OK : COUNT_MISMATCH;
}

static int read_rice(const uint8_t *start, const uint8_t *end, uint32_t dim, uint32_t k, uint32_t n, uint32_t *out) {
  uint64_t consumed = 0, next = 0, mask = ((uint64_t)1 << k) - 1;
  uint32_t j = 0;
  while (j < n) {
    const uint8_t *pos = start + (consumed >> 3);
    uint32_t bit = (uint32_t)consumed & 7;
    if (pos + 8 <= end) {
      uint64_t w = ld64(pos) >> bit;
      uint32_t avail = 64 - bit, first = j;
      do {
        uint32_t q = ~w ? (uint32_t)__builtin_ctzll(~w) : 64, used = q + 1 + k;
        if (used > avail) break;
        uint64_t index = next + ((uint64_t)q << k) + ((q + 1 < 64 ? w >> (q + 1) : 0) & mask);
        if (index >= dim) return INDEX_OUT_OF_RANGE;
        out[j++] = (uint32_t)index;
        next = index + 1;
        w = used < 64 ? w >> used : 0;
        avail -= used;
        consumed += used;
      } while (j < n);
      if (j != first) continue;
    }
    int64_t max_quotient = ((int64_t)dim - 1 - (int64_t)next) >> k, q = 0;
    for (;;) {
      if (pos >= end) return TRUNCATED;
      uint32_t avail = 8 - bit, ones = (uint32_t)__builtin_ctz(~((uint32_t)*pos >> bit));
      q += ones;
      if (q > max_quotient) return INDEX_OUT_OF_RANGE;
      if (ones < avail) {
        bit += ones + 1;
        break;
      }
      pos++;
      bit = 0;
    }
    if (bit == 8) {
      pos++;
      bit = 0;
    }
    uint64_t r = 0;
    for (uint32_t got = 0; got < k;) {
      if (pos >= end) return TRUNCATED;
      uint32_t take = 8 - bit < k - got ? 8 - bit : k - got;
      r |= (uint64_t)(((uint32_t)*pos >> bit) & ((1u << take) - 1)) << got;
      got += take;
      bit += take;
      if (bit == 8) {
        pos++;
        bit = 0;
      }
    }
    uint64_t index = next + ((uint64_t)q << k) + r;
    if (index >= dim) return INDEX_OUT_OF_RANGE;
    out[j++] = (uint32_t)index;
    next = index + 1;
    consumed = (uint64_t)(pos - start) * 8 + bit;
  }
  const uint8_t *pos = start + (consumed >> 3);
  uint32_t bit = (uint32_t)consumed & 7;
  if (bit > 0 && ((uint32_t)*pos >> bit) != 0) return NONZERO_PADDING;
  return pos + (bit > 0) == end ? OK : TRAILING_BYTES;
}

/* The value checks, in the kernels' order; plain reductions that gcc vectorizes. */
static int check_values(int codec, const uint8_t *p, uint32_t n, uint32_t b) {
  uint32_t bad = 0;
  if (codec == DENSE_F32 || codec == SPARSE_F32) {
    for (uint32_t j = 0; j < n; j++) bad |= (ld32(p + 4 * j) & 0x7f800000) == 0x7f800000;
    return bad ? NON_FINITE_VALUE : OK;
  }
  if (codec == DENSE_F16 || codec == SPARSE_F16) {
    const uint16_t *h = (const uint16_t *)p;
    for (uint32_t j = 0; j < n; j++) bad |= (h[j] & 0x7c00) == 0x7c00;
    return bad ? NON_FINITE_VALUE : OK;
  }
  int q8 = codec == SPARSE_Q8;
  uint32_t blocks = (uint32_t)ceil_div(n, b);
  for (uint32_t s = 0; s < blocks; s++) {
    uint32_t bits = ld32(p + 4 * s);
    if ((bits >> 31) || (bits & 0x7f800000) == 0x7f800000) return BAD_SCALE;
  }
  const uint8_t *levels = p + 4 * blocks;
  if (q8) {
    for (uint32_t j = 0; j < n; j++) bad |= levels[j] == 0x80;
  } else {
    for (uint32_t j = 0; j < n / 2; j++) bad |= (levels[j] & 0x0f) == 0x08 || (levels[j] & 0xf0) == 0x80;
    if (n & 1) bad |= (levels[n / 2] & 0x0f) == 0x08;
  }
  if (bad) return LEVEL_OUT_OF_RANGE;
  if (!q8 && (n & 1) && (levels[n / 2] >> 4)) return NONZERO_PADDING;
  float largest = q8 ? 127 : 7;
  for (uint32_t s = 0; s < blocks; s++) {
    float scale = ldf(p + 4 * s);
    if (isfinite(largest * scale)) continue;
    uint32_t end = n < (s + 1) * b ? n : (s + 1) * b;
    for (uint32_t j = s * b; j < end; j++) {
      int level = q8 ? (int8_t)levels[j] : ((int32_t)((uint32_t)levels[j >> 1] >> ((j & 1) * 4) << 28)) >> 28;
      if (!isfinite((float)level * scale)) return NON_FINITE_VALUE;
    }
  }
  return OK;
}

enum { CHUNK = 256 };
static float chunk[CHUNK] __attribute__((aligned(64)));
static double norm_sum;

/* The dequantizers of wasm/assembly/dequantize.ts: count values of a section from value j. */
static void halves_to_f32(const uint16_t *restrict halves, uint32_t count, float *restrict out) {
  for (uint32_t i = 0; i < count; i++) out[i] = half_to_float(halves[i]);
}

static void q8_to_f32(const int8_t *restrict levels, uint32_t count, float scale, float *restrict out) {
  for (uint32_t i = 0; i < count; i++) out[i] = (float)levels[i] * scale;
}

static inline float q4_level(const uint8_t *levels, uint32_t j) {
  return (float)(((int32_t)((uint32_t)levels[j >> 1] >> ((j & 1) * 4) << 28)) >> 28);
}

static void q4_to_f32(const uint8_t *restrict levels, uint32_t j, uint32_t count, float scale, float *restrict out) {
  uint32_t i = 0;
  if (j & 1 && count > 0) out[i++] = q4_level(levels, j) * scale;
  const uint8_t *bytes = levels + ((j + i) >> 1);
  uint32_t pairs = (count - i) / 2;
  for (uint32_t p = 0; p < pairs; p++) {
    out[i + 2 * p] = (float)(((int32_t)((uint32_t)bytes[p] << 28)) >> 28) * scale;
    out[i + 2 * p + 1] = (float)(((int32_t)((uint32_t)bytes[p] << 24)) >> 28) * scale;
  }
  for (i += 2 * pairs; i < count; i++) out[i] = q4_level(levels, j + i) * scale;
}

static void add_values(const float *values, const uint32_t *indices, uint32_t count, float *acc, float w) {
  double s = norm_sum;
  for (uint32_t j = 0; j < count; j++) {
    float v = values[j];
    acc[indices[j]] += w * v;
    s += (double)v * v;
  }
  norm_sum = s;
}

static void scatter(int codec, const uint8_t *values, uint32_t b, const uint32_t *indices, uint32_t n, float *acc, float w) {
  norm_sum = 0;
  if (codec == SPARSE_F32) {
    add_values((const float *)values, indices, n, acc, w);
  } else if (codec == SPARSE_F16) {
    for (uint32_t j = 0; j < n; j += CHUNK) {
      uint32_t count = n - j < CHUNK ? n - j : CHUNK;
      halves_to_f32((const uint16_t *)values + j, count, chunk);
      add_values(chunk, indices + j, count, acc, w);
    }
  } else {
    uint32_t blocks = (uint32_t)ceil_div(n, b), j = 0;
    const uint8_t *levels = values + 4 * blocks;
    for (uint32_t s = 0; s < blocks; s++) {
      float scale = ldf(values + 4 * s);
      uint32_t block_end = n < j + b ? n : j + b;
      while (j < block_end) {
        uint32_t count = block_end - j < CHUNK ? block_end - j : CHUNK;
        if (codec == SPARSE_Q8) q8_to_f32((const int8_t *)levels + j, count, scale, chunk);
        else q4_to_f32(levels, j, count, scale, chunk);
        add_values(chunk, indices + j, count, acc, w);
        j += count;
      }
    }
  }
  squared_norm = norm_sum;
}

/*
 * Eight f64 lane sums (element j in lane j mod 8), as the WebAssembly kernel does;
 * binary16 values decoded a chunk at a time first, as it does.
 */
static void accumulate_dense(int codec, const uint8_t *x, uint32_t n, float *restrict acc, float w) {
  double lanes[8] = {0}, tail = 0;
  for (uint32_t j = 0; j < n; j += CHUNK) {
    uint32_t count = n - j < CHUNK ? n - j : CHUNK, body = count & ~7u;
    const float *v = (const float *)x + j;
    if (codec == DENSE_F16) {
      halves_to_f32((const uint16_t *)x + j, count, chunk);
      v = chunk;
    }
    float *a = acc + j;
    for (uint32_t i = 0; i < body; i += 8)
      for (int l = 0; l < 8; l++) {
        a[i + l] += w * v[i + l];
        lanes[l] += (double)v[i + l] * v[i + l];
      }
    for (uint32_t i = body; i < count; i++) {
      a[i] += w * v[i];
      tail += (double)v[i] * v[i];
    }
  }
  squared_norm = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7])) + tail;
}

static int sparse_layout(int codec, const uint8_t *p, uint32_t length, uint32_t dim, uint32_t *nnz, uint32_t *coding,
                         uint32_t *k, uint32_t *b, uint32_t *start) {
  if ((uint64_t)length > 4 * (uint64_t)dim) return LARGER_THAN_DENSE;
  if (length < 8) return TRUNCATED;
  uint32_t c = p[0], kk = p[1], bb = p[2] | (uint32_t)p[3] << 8, n = ld32(p + 4);
  if (n > dim) return COUNT_MISMATCH;
  if (c > RICE) return BAD_INDEX_CODING;
  if (c == RICE ? kk > (uint32_t)(31 - __builtin_clz(dim)) : kk != 0) return BAD_RICE_PARAMETER;
  int quantized = codec == SPARSE_Q8 || codec == SPARSE_Q4;
  if (quantized ? bb == 0 : bb != 0) return BAD_BLOCK_SIZE;
  uint64_t values = codec == SPARSE_F32 ? 4 * (uint64_t)n
                    : codec == SPARSE_F16 ? 2 * (uint64_t)n
                    : 4 * ceil_div(n, bb) + (codec == SPARSE_Q8 ? n : ceil_div(n, 2));
  uint64_t s = 8 + values, min, max;
  if (s > length) return TRUNCATED;
  if (c == VARINT) {
    min = n;
    max = 5 * (uint64_t)n;
  } else if (c == BITMAP) {
    min = max = ceil_div(dim, 8);
  } else {
    uint64_t fixed = (uint64_t)n * (kk + 1);
    min = ceil_div(fixed, 8);
    max = ceil_div(fixed + ((uint64_t)(dim - n) >> kk), 8);
  }
  if (length - s < min) return TRUNCATED;
  if (length - s > max) return TRAILING_BYTES;
  *nnz = n, *coding = c, *k = kk, *b = bb, *start = (uint32_t)s;
  return OK;
}

static int accumulate(int codec, const uint8_t *p, uint32_t length, uint32_t dim, float *acc, uint32_t *indices, float w) {
  if (codec > SPARSE_Q4) return UNKNOWN_CODEC;
  if (codec == DENSE_F32 || codec == DENSE_F16) {
    uint64_t expected = (uint64_t)dim * (codec == DENSE_F32 ? 4 : 2);
    if (length != expected) return length < expected ? TRUNCATED : TRAILING_BYTES;
    if (check_values(codec, p, dim, 0) != OK) return NON_FINITE_VALUE;
    accumulate_dense(codec, p, dim, acc, w);
    return OK;
  }
  uint32_t n, coding, k, b, start;
  int code = sparse_layout(codec, p, length, dim, &n, &coding, &k, &b, &start);
  if (code != OK) return code;
  if (coding == VARINT) code = read_varints(p + start, p + length, dim, n, indices);
  else if (coding == BITMAP) code = read_bitmap(p + start, dim, n, indices);
  else code = read_rice(p + start, p + length, dim, k, n, indices);
  if (code != OK) return code;
  code = check_values(codec, p + 8, n, b);
  if (code != OK) return code;
  scatter(codec, p + 8, b, indices, n, acc, w);
  return OK;
}

/* acc[i] += w · x[i]: the weighted sum of wasm/assembly/dense.ts. */
static void weighted_sum(float *restrict acc, const float *restrict x, uint32_t n, float w) {
  for (uint32_t i = 0; i < n; i++) acc[i] += w * x[i];
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static const uint8_t *payload;
static uint32_t length, dim;
static int codec;
static float *acc, w;
static uint32_t *indices;

static int run_once(void) {
  if (codec < 0) {
    weighted_sum(acc, (const float *)payload, dim, w);
    return OK;
  }
  return accumulate(codec, payload, length, dim, acc, indices, w);
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: native PAYLOAD_FILE CODEC DIM SCALE MIN_MS RUNS\n");
    return 2;
  }
  FILE *file = fopen(argv[1], "rb");
  if (!file) return 2;
  fseek(file, 0, SEEK_END);
  length = (uint32_t)ftell(file);
  fseek(file, 0, SEEK_SET);
  uint8_t *bytes = aligned_alloc(64, (size_t)length + 64);
  if (fread(bytes, 1, length, file) != length) return 2;
  fclose(file);
  payload = bytes;
  codec = atoi(argv[2]);
  dim = (uint32_t)strtoul(argv[3], NULL, 10);
  w = strtof(argv[4], NULL);
  double min_ms = atof(argv[5]);
  int runs = atoi(argv[6]);
  acc = aligned_alloc(64, (size_t)dim * 4 + 64);
  indices = aligned_alloc(64, (size_t)dim * 4 + 64);
  memset(acc, 0, (size_t)dim * 4);
  uint32_t elements = codec <= DENSE_F16 ? dim : ld32(payload + 4);

  int code = run_once();
  if (code != OK) {
    printf("{\"code\": %d}\n", code);
    return 1;
  }
  for (double start = now_ms(); now_ms() - start < min_ms / 2;) run_once();
  double best = 0;
  for (int r = 0; r < runs; r++) {
    long calls = 0;
    double start = now_ms(), elapsed;
    do {
      run_once();
      calls++;
      elapsed = now_ms() - start;
    } while (elapsed < min_ms);
    double rate = calls * (double)elements / (elapsed / 1e3);
    if (rate > best) best = rate;
  }
  printf("{\"code\": 0, \"perSec\": %.6g, \"squaredNorm\": %.17g}\n", best, codec < 0 ? 0 : squared_norm);
  return 0;
}
