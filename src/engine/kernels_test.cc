// The kernels of every weight type: AVX2 and portable give the same products (same integer
// sums), close to the float product of the dequantized weights; quantizers round-trip within the
// type's precision; the activation quantizers round like ggml's.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kernels.h"
#include "engine/pack.h"
#include "engine/unicode.h"

namespace lt::engine {
namespace {

const DType kTypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ8_0,
                        DType::kQ4_K, DType::kQ5_K, DType::kQ6_K};

std::vector<float> RandomFloats(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

TEST(KernelsTest, QuantizersRoundTripWithinTheTypesPrecision) {
  const int n = 512;
  std::vector<float> x = RandomFloats(n, 3), y(n);
  for (DType t : kTypes) {
    std::vector<uint8_t> q(RowBytes(t, n));
    QuantizeRow(t, x.data(), q.data(), n);
    DequantizeRow(t, q.data(), y.data(), n);
    double err = 0, norm = 0;
    for (int i = 0; i < n; ++i) {
      err += (x[i] - y[i]) * (x[i] - y[i]);
      norm += x[i] * x[i];
    }
    const double rel = std::sqrt(err / norm);
    const double bound = t == DType::kF32 ? 1e-7 : t == DType::kQ4_0 || t == DType::kQ4_K ? 0.15 : 0.06;
    EXPECT_LE(rel, bound) << DTypeName(t);
  }
}

TEST(KernelsTest, EveryIsaAgreesWithPortableAndMatchesTheFloatProduct) {
  if (DetectIsa() == Isa::kPortable) GTEST_SKIP() << "no AVX2 on this CPU: only the portable kernels run";
  std::vector<Isa> isas = {Isa::kAvx2};
  if (DetectIsa() == Isa::kAvx512) isas.push_back(Isa::kAvx512);
  for (Isa isa : isas) {
  SCOPED_TRACE(std::string(IsaName(isa)));
  for (int cols : {256, 768}) {
  const int rows = 24;
  for (DType t : kTypes) {
    std::vector<float> w = RandomFloats(static_cast<size_t>(rows) * cols, 5);
    std::vector<uint8_t> q(RowBytes(t, cols) * rows);
    for (int r = 0; r < rows; ++r) QuantizeRow(t, w.data() + r * cols, q.data() + r * RowBytes(t, cols), cols);
    Matrix m{t, q.data(), rows, cols};
    for (int n : {1, 3, 4, 7, 8, 13}) {
      std::vector<float> x = RandomFloats(static_cast<size_t>(n) * cols, 11 + n);
      Activations a;
      a.Set(x.data(), cols, n, cols);
      a.Prepare(ActivationType(t));
      std::vector<float> ya(static_cast<size_t>(n) * rows), yp(ya.size());
      SetIsa(isa);
      MatMulRows(m, a, ya.data(), rows, 0, rows);
      SetIsa(Isa::kPortable);
      MatMulRows(m, a, yp.data(), rows, 0, rows);
      ResetIsa();
      std::vector<float> wr(cols);
      for (int r = 0; r < rows; ++r) {
        DequantizeRow(m, r, wr.data());
        for (int k = 0; k < n; ++k) {
          double ref = 0;
          for (int i = 0; i < cols; ++i) ref += static_cast<double>(wr[i]) * x[static_cast<size_t>(k) * cols + i];
          const float av = ya[static_cast<size_t>(k) * rows + r], pv = yp[static_cast<size_t>(k) * rows + r];
          EXPECT_NEAR(av, pv, 1e-3 * (1 + std::fabs(pv))) << DTypeName(t) << " n=" << n << " row " << r;
          // The activations are quantized to 8 bits for the integer types: a small relative error.
          const double tol = ActivationType(t) == DType::kF32 ? 1e-3 * (1 + std::fabs(ref)) : 0.05 * std::sqrt(cols);
          EXPECT_NEAR(av, ref, tol) << DTypeName(t) << " n=" << n << " row " << r;
        }
      }
    }
  }
  }
  }
}

// Packed weights (pack.h) on the AVX-512 kernels: the products equal the portable kernels' on
// the unpacked matrix (the same integer sums), and a batch of tokens gives bit-identical results
// to the same tokens one at a time, for every tile shape (prefill == step-by-step decoding).
TEST(KernelsTest, PackedKernelsAgreeWithPortableAndBatchEqualsOneByOne) {
  if (DetectIsa() != Isa::kAvx512) GTEST_SKIP() << "no AVX-512 VNNI on this CPU: packed kernels do not run";
  for (DType t : {DType::kQ8_0, DType::kQ4_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K}) {
    for (int cols : {256, 768}) {
      const int rows = 112;  // 7 groups: decode tiles of 4 and 3 groups
      ASSERT_TRUE(Packable(t, rows, cols));
      std::vector<float> w = RandomFloats(static_cast<size_t>(rows) * cols, 7);
      std::vector<uint8_t> q(RowBytes(t, cols) * rows);
      for (int r = 0; r < rows; ++r) QuantizeRow(t, w.data() + r * cols, q.data() + r * RowBytes(t, cols), cols);
      std::vector<uint8_t> packed(PackedGroupBytes(t, cols) * (rows / kPackRows) + 64);
      uint8_t* aligned = packed.data() + (64 - reinterpret_cast<uintptr_t>(packed.data()) % 64) % 64;
      PackGroups(t, q.data(), cols, 0, rows / kPackRows, aligned);
      Matrix plain{t, q.data(), rows, cols};
      Matrix m = plain;
      m.packed = aligned;
      const int n = 21;
      std::vector<float> x = RandomFloats(static_cast<size_t>(n) * cols, 13);
      Activations a;
      a.Set(x.data(), cols, n, cols);
      a.Prepare(ActivationType(t));
      std::vector<float> batch(static_cast<size_t>(n) * rows), portable(batch.size());
      SetIsa(Isa::kAvx512);
      MatMulRows(m, a, batch.data(), rows, 0, rows);
      SetIsa(Isa::kPortable);
      MatMulRows(plain, a, portable.data(), rows, 0, rows);
      ResetIsa();
      for (int k = 0; k < n; ++k) {
        Activations one;
        one.Set(x.data() + static_cast<size_t>(k) * cols, cols, 1, cols);
        one.Prepare(ActivationType(t));
        std::vector<float> y(rows), part(rows);
        MatMulRows(m, one, y.data(), rows, 0, rows);
        MatMulRows(m, one, part.data(), rows, 16, 80);  // a range of groups, as a thread's chunk
        for (int r = 0; r < rows; ++r) {
          const float b = batch[static_cast<size_t>(k) * rows + r], p = portable[static_cast<size_t>(k) * rows + r];
          ASSERT_EQ(b, y[r]) << DTypeName(t) << " token " << k << " row " << r;
          if (r >= 16 && r < 80) {
            ASSERT_EQ(part[r], y[r]) << DTypeName(t) << " row " << r;
          }
          EXPECT_NEAR(b, p, 1e-4 * (1 + std::fabs(p))) << DTypeName(t) << " token " << k << " row " << r;
        }
      }
    }
  }
}

TEST(KernelsTest, Q8KActivationsRoundLikeGgml) {
  std::vector<float> x(256);
  for (int i = 0; i < 256; ++i) x[i] = static_cast<float>(i - 100) / 10.0f;  // largest |x| is 15.5 at i = 255
  BlockQ8_K b;
  QuantizeRowQ8_K(x.data(), &b, 256);
  // iscale = -127 / max: the largest value maps to -127, the rest round half to even.
  EXPECT_EQ(b.qs[255], -127);
  EXPECT_EQ(b.qs[100], 0);
  EXPECT_FLOAT_EQ(b.d, 15.5f / -127.0f);
  int sum = 0;
  for (int i = 0; i < 16; ++i) sum += b.qs[i];
  EXPECT_EQ(b.bsums[0], sum);
}

TEST(KernelsTest, DotAndAxpyAreRight) {
  std::vector<float> a = RandomFloats(67, 1), b = RandomFloats(67, 2), y(67, 1.0f);
  double ref = 0;
  for (int i = 0; i < 67; ++i) ref += a[i] * b[i];
  EXPECT_NEAR(DotF32(a.data(), b.data(), 67), ref, 1e-4);
  AxpyF32(2.0f, a.data(), y.data(), 67);
  for (int i = 0; i < 67; ++i) EXPECT_FLOAT_EQ(y[i], 1.0f + 2.0f * a[i]);
}

TEST(UnicodeTest, PreTokenizersSplitLikeLlamaCpp) {
  using V = std::vector<std::string>;
  EXPECT_EQ(PreTokenize("Hello world", PreTokenizer::kLlama3), (V{"Hello", " world"}));
  EXPECT_EQ(PreTokenize("12345 abc", PreTokenizer::kLlama3), (V{"123", "45", " abc"}));
  EXPECT_EQ(PreTokenize("12345 abc", PreTokenizer::kQwen2), (V{"1", "2", "3", "4", "5", " abc"}));
  EXPECT_EQ(PreTokenize("don't", PreTokenizer::kLlama3), (V{"don", "'t"}));
  EXPECT_EQ(PreTokenize("I'M", PreTokenizer::kLlama3), (V{"I", "'M"}));
  EXPECT_EQ(PreTokenize("a   b", PreTokenizer::kLlama3), (V{"a", "  ", " b"}));
  EXPECT_EQ(PreTokenize("x\n\ny", PreTokenizer::kLlama3), (V{"x", "\n\n", "y"}));
  EXPECT_EQ(PreTokenize("!!? ok", PreTokenizer::kLlama3), (V{"!!?", " ok"}));
  EXPECT_EQ(PreTokenize("caf\xC3\xA9", PreTokenizer::kLlama3), (V{"caf\xC3\xA9"}));
  EXPECT_EQ(PreTokenize("\xFF" "a", PreTokenizer::kLlama3), (V{"\xEF\xBF\xBD" "a"}));  // invalid byte -> U+FFFD
}

TEST(UnicodeTest, ClassesAndByteMap) {
  EXPECT_TRUE(IsLetter('a'));
  EXPECT_TRUE(IsLetter(0x65E5));  // 日
  EXPECT_FALSE(IsLetter('1'));
  EXPECT_TRUE(IsNumber('7'));
  EXPECT_TRUE(IsNumber(0x0663));  // Arabic-Indic three
  EXPECT_TRUE(IsWhitespace(0x3000));
  EXPECT_FALSE(IsWhitespace('x'));
  EXPECT_EQ(ByteToBpeChar(' '), "\xC4\xA0");  // Ġ
  for (int b = 0; b < 256; ++b) {
    auto cps = Utf8ToCodepoints(ByteToBpeChar(static_cast<uint8_t>(b)));
    ASSERT_EQ(cps.size(), 1u);
    EXPECT_EQ(BpeCharToByte(cps[0]), b);
  }
}

}  // namespace
}  // namespace lt::engine
