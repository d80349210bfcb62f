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

// Runs fn(i) for i in [0, n) on the pool when there is enough work, else on this thread.
template <typename Fn>
void ForEach(ThreadPool* pool, int n, bool parallel, const Fn& fn) {
  if (pool != nullptr && parallel && n > 1 && pool->size() > 1) {
    pool->ParallelFor(n, [&fn](int i) { fn(i); });
  } else {
    for (int i = 0; i < n; ++i) fn(i);
  }
}

}  // namespace

void MatMulParallel(ThreadPool* pool, Activations& acts, std::initializer_list<MatMulJob> jobs) {
  const int n = acts.n();
  const int threads = pool != nullptr ? pool->size() : 1;
  int64_t total_rows = 0, work = 0;
  for (const auto& j : jobs) {
    total_rows += j.w->rows;
    work += j.w->rows * j.w->cols * n;
  }
  // Quantize the inputs once per activation type (over the pool for big batches).
  for (const auto& j : jobs) {
    DType act = ActivationType(j.w->type);
    if (acts.Ready(act)) continue;
    acts.Reserve(act);
    const int parts = n >= 16 ? std::min(n, threads * 4) : 1;
    ForEach(pool, parts, parts > 1, [&](int p) {
      acts.Quantize(act, static_cast<int>(static_cast<int64_t>(n) * p / parts),
                    static_cast<int>(static_cast<int64_t>(n) * (p + 1) / parts));
    });
    acts.Prepare(act);  // marks it ready (the rows are already done when quantized above)
  }
  if (threads <= 1 || work < 128 * 1024) {  // small products: waking threads costs more
    for (const auto& j : jobs) MatMulRows(*j.w, acts, j.y, j.ldy, 0, j.w->rows);
    return;
  }
  // About 4 chunks per thread so uneven progress evens out, rows in multiples of 16.
  int64_t chunk = std::max<int64_t>(16, (total_rows / (threads * 4) + 15) / 16 * 16);
  struct Task {
    const MatMulJob* job;
    int64_t r0, r1;
  };
  thread_local std::vector<Task> tasks;
  tasks.clear();
  for (const auto& j : jobs) {
    for (int64_t r = 0; r < j.w->rows; r += chunk) tasks.push_back({&j, r, std::min(j.w->rows, r + chunk)});
  }
  const Task* tp = tasks.data();  // not `tasks` itself: it is thread_local, workers would see theirs
  const Activations* ap = &acts;
  pool->ParallelFor(static_cast<int>(tasks.size()), [tp, ap](int i) {
    const Task& t = tp[i];
    MatMulRows(*t.job->w, *ap, t.job->y, t.job->ldy, t.r0, t.r1);
  });
}

RunState::RunState(std::shared_ptr<const Model> model, int context) : model_(std::move(model)) {
  const ModelConfig& c = model_->config();
  context_ = context > 0 ? std::min(context, c.seq_len) : c.seq_len;
  k_.resize(static_cast<size_t>(c.n_layers));
  v_.resize(static_cast<size_t>(c.n_layers));
}

size_t RunState::CacheBytes() const {
  return 2 * sizeof(float) * static_cast<size_t>(capacity_) * static_cast<size_t>(model_->config().kv_dim()) *
         static_cast<size_t>(model_->config().n_layers);
}

void RunState::Reserve(int positions) {
  if (positions <= capacity_) return;
  int cap = std::max(positions, std::min(context_, std::max(256, capacity_ * 2)));
  cap = std::min(std::max(cap, positions), context_);
  const size_t kv = static_cast<size_t>(model_->config().kv_dim());
  for (auto& k : k_) k.resize(static_cast<size_t>(cap) * kv);
  for (auto& v : v_) v.resize(static_cast<size_t>(cap) * kv);
  capacity_ = cap;
}

float* RunState::Forward(const int* tokens, int n, int pos, ThreadPool* pool, bool all_logits) {
  const int vocab = model_->config().vocab_size;
  Reserve(pos + n);
  if (all_logits) {
    logits_.resize(static_cast<size_t>(n) * static_cast<size_t>(vocab));
  } else {
    logits_.resize(static_cast<size_t>(vocab));
  }
  for (int done = 0; done < n; done += kMaxBatch) {
    const int m = std::min(kMaxBatch, n - done);
    float* out = all_logits ? logits_.data() + static_cast<size_t>(done) * static_cast<size_t>(vocab) : logits_.data();
    ForwardBlock(tokens + done, m, pos + done, pool, all_logits, out);
  }
  return logits_.data();
}

float* RunState::ForwardBlock(const int* tokens, int n, int pos, ThreadPool* pool, bool all_logits, float* logits_out) {
  const Model& m = *model_;
  const ModelConfig& c = m.config();
  const int dim = c.dim, kv_dim = c.kv_dim(), q_dim = c.q_dim(), hidden = c.hidden_dim, hs = c.head_size();
  const int kv_mul = c.n_heads / c.n_kv_heads;
  const size_t N = static_cast<size_t>(n);
  x_.resize(N * static_cast<size_t>(dim));
  xb_.resize(N * static_cast<size_t>(std::max(dim, q_dim)));
  xb2_.resize(N * static_cast<size_t>(std::max(dim, q_dim)));
  q_.resize(N * static_cast<size_t>(q_dim));
  hb_.resize(N * static_cast<size_t>(hidden));
  hb2_.resize(N * static_cast<size_t>(hidden));
  const bool big = n >= 8;

  for (int t = 0; t < n; ++t) DequantizeRow(m.token_embedding(), tokens[t], x_.data() + static_cast<size_t>(t) * dim);

  // RoPE cos/sin per token and frequency (shared by all layers and heads).
  const int half = hs / 2;
  rope_.resize(N * static_cast<size_t>(hs));
  const float* ff = m.rope_freq_factors();
  for (int t = 0; t < n; ++t) {
    float* cs = rope_.data() + static_cast<size_t>(t) * hs;
    for (int i = 0; i < half; ++i) {
      float freq = 1.0f / std::pow(c.rope_theta, static_cast<float>(2 * i) / static_cast<float>(hs));
      if (ff != nullptr) freq /= ff[i];
      const float val = static_cast<float>(pos + t) * freq;
      cs[2 * i] = std::cos(val);
      cs[2 * i + 1] = std::sin(val);
    }
  }
  auto rope = [&](float* vec, int t, int heads) {
    const float* cs = rope_.data() + static_cast<size_t>(t) * hs;
    for (int h = 0; h < heads; ++h) {
      float* v = vec + h * hs;
      for (int i = 0; i < half; ++i) {
        const float fcr = cs[2 * i], fci = cs[2 * i + 1];
        const int a = c.rope_style == RopeStyle::kAdjacent ? 2 * i : i;
        const int b = c.rope_style == RopeStyle::kAdjacent ? 2 * i + 1 : i + half;
        const float v0 = v[a], v1 = v[b];
        v[a] = v0 * fcr - v1 * fci;
        v[b] = v0 * fci + v1 * fcr;
      }
    }
  };
  const float scale = 1.0f / std::sqrt(static_cast<float>(hs));
  const int span = pos + n;  // positions attended by the last token

  for (int l = 0; l < c.n_layers; ++l) {
    const LayerWeights& w = m.layers()[static_cast<size_t>(l)];
    float* kc = k_[static_cast<size_t>(l)].data();
    float* vc = v_[static_cast<size_t>(l)].data();
    ForEach(pool, n, big, [&](int t) {
      RmsNorm(xb_.data() + static_cast<size_t>(t) * dim, x_.data() + static_cast<size_t>(t) * dim, w.rms_att, dim, c.norm_eps);
    });
    acts_.Set(xb_.data(), dim, n, dim);
    float* kout = kc + static_cast<size_t>(pos) * kv_dim;
    float* vout = vc + static_cast<size_t>(pos) * kv_dim;
    MatMulParallel(pool, acts_, {{&w.wq, q_.data(), q_dim}, {&w.wk, kout, kv_dim}, {&w.wv, vout, kv_dim}});
    for (int t = 0; t < n; ++t) {
      float* q = q_.data() + static_cast<size_t>(t) * q_dim;
      float* k = kout + static_cast<size_t>(t) * kv_dim;
      float* v = vout + static_cast<size_t>(t) * kv_dim;
      if (w.bq != nullptr) {
        for (int i = 0; i < q_dim; ++i) q[i] += w.bq[i];
        for (int i = 0; i < kv_dim; ++i) k[i] += w.bk[i];
        for (int i = 0; i < kv_dim; ++i) v[i] += w.bv[i];
      }
      rope(q, t, c.n_heads);
      rope(k, t, c.n_kv_heads);
    }

    // Causal attention, grouped: query head h reads kv head h / kv_mul. One task per (token, head).
    ForEach(pool, n * c.n_heads, n * c.n_heads * span >= 4096, [&](int task) {
      const int t = task / c.n_heads, h = task % c.n_heads;
      const int len = pos + t + 1;
      const float* q = q_.data() + static_cast<size_t>(t) * q_dim + static_cast<size_t>(h) * hs;
      thread_local std::vector<float> scratch;
      if (scratch.size() < static_cast<size_t>(span)) scratch.resize(static_cast<size_t>(span));
      float* att = scratch.data();
      const size_t hoff = static_cast<size_t>(h / kv_mul) * static_cast<size_t>(hs);
      float* out = xb_.data() + static_cast<size_t>(t) * q_dim + static_cast<size_t>(h) * hs;
      Attend(q, kc + hoff, vc + hoff, static_cast<size_t>(kv_dim), len, hs, scale, att, out);
    });

    acts_.Set(xb_.data(), q_dim, n, q_dim);
    MatMulParallel(pool, acts_, {{&w.wo, xb2_.data(), dim}});
    for (size_t i = 0; i < N * static_cast<size_t>(dim); ++i) x_[i] += xb2_[i];

    ForEach(pool, n, big, [&](int t) {
      RmsNorm(xb_.data() + static_cast<size_t>(t) * dim, x_.data() + static_cast<size_t>(t) * dim, w.rms_ffn, dim, c.norm_eps);
    });
    acts_.Set(xb_.data(), dim, n, dim);
    MatMulParallel(pool, acts_, {{&w.w1, hb_.data(), hidden}, {&w.w3, hb2_.data(), hidden}});
    ForEach(pool, n, big, [&](int t) {
      float* h1 = hb_.data() + static_cast<size_t>(t) * hidden;
      const float* h3 = hb2_.data() + static_cast<size_t>(t) * hidden;
      for (int i = 0; i < hidden; ++i) {
        float val = h1[i];
        val *= 1.0f / (1.0f + std::exp(-val));
        h1[i] = val * h3[i];
      }
    });
    acts_.Set(hb_.data(), hidden, n, hidden);
    MatMulParallel(pool, acts_, {{&w.w2, xb2_.data(), dim}});
    for (size_t i = 0; i < N * static_cast<size_t>(dim); ++i) x_[i] += xb2_[i];
  }

  // Final norm and classifier: every token, or only the last.
  const int first = all_logits ? 0 : n - 1;
  const int rows = n - first;
  for (int t = first; t < n; ++t) {
    float* x = x_.data() + static_cast<size_t>(t) * dim;
    RmsNorm(x, x, m.rms_final(), dim, c.norm_eps);
  }
  acts_.Set(x_.data() + static_cast<size_t>(first) * dim, dim, rows, dim);
  MatMulParallel(pool, acts_, {{&m.classifier(), logits_out, c.vocab_size}});
  return logits_out;
}

}  // namespace lt::engine
