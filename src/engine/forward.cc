#include "engine/forward.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace lt::engine {

namespace {

void RmsNorm(float* o, const float* x, const float* weight, int size, float eps) {
  float ss = 0.0f;
  for (int j = 0; j < size; ++j) ss += x[j] * x[j];
  ss /= static_cast<float>(size);
  ss += eps;
  ss = 1.0f / std::sqrt(ss);
  for (int j = 0; j < size; ++j) o[j] = weight[j] * (ss * x[j]);
}

void Softmax(float* x, int size) {
  float max_val = x[0];
  for (int i = 1; i < size; ++i) max_val = std::max(max_val, x[i]);
  float sum = 0.0f;
  for (int i = 0; i < size; ++i) {
    x[i] = std::exp(x[i] - max_val);
    sum += x[i];
  }
  for (int i = 0; i < size; ++i) x[i] /= sum;
}

}  // namespace

void MatVecParallel(ThreadPool* pool, const float* x, int64_t n, std::vector<BlockQ8_0>& xq,
                    std::initializer_list<MatVecJob> jobs) {
  bool need_q8 = false;
  int64_t total_rows = 0, work = 0;
  for (const auto& j : jobs) {
    need_q8 |= j.w->type == DType::kQ8_0;
    total_rows += j.w->rows;
    work += j.w->rows * j.w->cols;
  }
  if (need_q8) {
    xq.resize(static_cast<size_t>(n / kQ8Block));
    QuantizeRowQ8_0(x, xq.data(), n);
  }
  const BlockQ8_0* xqp = need_q8 ? xq.data() : nullptr;
  const int threads = pool != nullptr ? pool->size() : 1;
  if (threads <= 1 || work < 128 * 1024) {  // small products: waking threads costs more
    for (const auto& j : jobs) MatVecRows(*j.w, x, xqp, j.y, 0, j.w->rows);
    return;
  }
  // About 4 chunks per thread so uneven progress evens out, rows in multiples of 8.
  int64_t chunk = std::max<int64_t>(8, (total_rows / (threads * 4) + 7) / 8 * 8);
  struct Task {
    const MatVecJob* job;
    int64_t r0, r1;
  };
  thread_local std::vector<Task> tasks;
  tasks.clear();
  for (const auto& j : jobs) {
    for (int64_t r = 0; r < j.w->rows; r += chunk) tasks.push_back({&j, r, std::min(j.w->rows, r + chunk)});
  }
  const int nt = static_cast<int>(tasks.size());
  const Task* tp = tasks.data();  // not `tasks` itself: it is thread_local, workers would see theirs
  pool->ParallelFor(nt, [&, tp](int i) {
    const Task& t = tp[i];
    MatVecRows(*t.job->w, x, xqp, t.job->y, t.r0, t.r1);
  });
}

RunState::RunState(std::shared_ptr<const Model> model) : model_(std::move(model)) {
  const ModelConfig& c = model_->config();
  const size_t dim = static_cast<size_t>(c.dim), hid = static_cast<size_t>(c.hidden_dim);
  x_.assign(dim, 0.0f);
  xb_.assign(std::max(dim, hid), 0.0f);
  xb2_.assign(dim, 0.0f);
  hb_.assign(hid, 0.0f);
  hb2_.assign(hid, 0.0f);
  q_.assign(dim, 0.0f);
  att_.assign(static_cast<size_t>(c.n_heads) * static_cast<size_t>(c.seq_len), 0.0f);
  logits_.assign(static_cast<size_t>(c.vocab_size), 0.0f);
  size_t cache = static_cast<size_t>(c.n_layers) * static_cast<size_t>(c.seq_len) * static_cast<size_t>(c.kv_dim());
  key_cache_.assign(cache, 0.0f);
  value_cache_.assign(cache, 0.0f);
}

float* RunState::Forward(int token, int pos, ThreadPool* pool) {
  const Model& m = *model_;
  const ModelConfig& c = m.config();
  const int dim = c.dim, kv_dim = c.kv_dim(), hidden = c.hidden_dim, head_size = c.head_size();
  const int kv_mul = c.n_heads / c.n_kv_heads;
  float* x = x_.data();

  DequantizeRow(m.token_embedding(), token, x);

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = m.layers()[static_cast<size_t>(l)];
    RmsNorm(xb_.data(), x, w.rms_att, dim, c.norm_eps);

    const size_t loff = static_cast<size_t>(l) * static_cast<size_t>(c.seq_len) * static_cast<size_t>(kv_dim);
    float* k = key_cache_.data() + loff + static_cast<size_t>(pos) * static_cast<size_t>(kv_dim);
    float* v = value_cache_.data() + loff + static_cast<size_t>(pos) * static_cast<size_t>(kv_dim);
    MatVecParallel(pool, xb_.data(), dim, xq_, {{&w.wq, q_.data()}, {&w.wk, k}, {&w.wv, v}});

    // RoPE: rotate adjacent pairs in each head of q and k.
    for (int i = 0; i < dim; i += 2) {
      int head_dim = i % head_size;
      float freq = 1.0f / std::pow(c.rope_theta, static_cast<float>(head_dim) / static_cast<float>(head_size));
      float val = static_cast<float>(pos) * freq;
      float fcr = std::cos(val), fci = std::sin(val);
      int rotn = i < kv_dim ? 2 : 1;
      for (int r = 0; r < rotn; ++r) {
        float* vec = r == 0 ? q_.data() : k;
        float v0 = vec[i], v1 = vec[i + 1];
        vec[i] = v0 * fcr - v1 * fci;
        vec[i + 1] = v0 * fci + v1 * fcr;
      }
    }

    // Causal attention, grouped: query head h reads kv head h / kv_mul.
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_size));
    for (int h = 0; h < c.n_heads; ++h) {
      const float* q = q_.data() + h * head_size;
      float* att = att_.data() + static_cast<size_t>(h) * static_cast<size_t>(c.seq_len);
      const size_t hoff = static_cast<size_t>(h / kv_mul) * static_cast<size_t>(head_size);
      for (int t = 0; t <= pos; ++t) {
        const float* kt = key_cache_.data() + loff + static_cast<size_t>(t) * static_cast<size_t>(kv_dim) + hoff;
        float score = 0.0f;
        for (int i = 0; i < head_size; ++i) score += q[i] * kt[i];
        att[t] = score * scale;
      }
      Softmax(att, pos + 1);
      float* xb = xb_.data() + h * head_size;
      std::memset(xb, 0, static_cast<size_t>(head_size) * sizeof(float));
      for (int t = 0; t <= pos; ++t) {
        const float* vt =
            value_cache_.data() + loff + static_cast<size_t>(t) * static_cast<size_t>(kv_dim) + hoff;
        float a = att[t];
        for (int i = 0; i < head_size; ++i) xb[i] += a * vt[i];
      }
    }

    MatVecParallel(pool, xb_.data(), dim, xq_, {{&w.wo, xb2_.data()}});
    for (int i = 0; i < dim; ++i) x[i] += xb2_[static_cast<size_t>(i)];

    RmsNorm(xb_.data(), x, w.rms_ffn, dim, c.norm_eps);
    MatVecParallel(pool, xb_.data(), dim, xq_, {{&w.w1, hb_.data()}, {&w.w3, hb2_.data()}});
    for (int i = 0; i < hidden; ++i) {
      float val = hb_[static_cast<size_t>(i)];
      val *= 1.0f / (1.0f + std::exp(-val));
      hb_[static_cast<size_t>(i)] = val * hb2_[static_cast<size_t>(i)];
    }
    MatVecParallel(pool, hb_.data(), hidden, xq_, {{&w.w2, xb_.data()}});
    for (int i = 0; i < dim; ++i) x[i] += xb_[static_cast<size_t>(i)];
  }

  RmsNorm(x, x, m.rms_final(), dim, c.norm_eps);
  MatVecParallel(pool, x, dim, xq_, {{&m.classifier(), logits_.data()}});
  return logits_.data();
}

}  // namespace lt::engine
