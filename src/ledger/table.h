// Table<K, V>: an ordered in-memory map with a per-transaction undo journal (ledger internal).
//
// The ledger's state is a handful of Tables. A transaction mutates rows through Mut()/Put()/
// Erase(); the first touch of a key in a transaction records its old value. Rollback() restores
// every touched key (so an invalid transaction changes nothing), Commit() forgets the journal,
// and TakeDirty() lists the keys committed since the last flush, so the storage layer writes exactly
// those rows.
// Iteration is in key order, which makes the state hash canonical.
// Thread-safety: none; the owning LedgerState is guarded by its ledger's writer lock.
#ifndef LT_LEDGER_TABLE_H_
#define LT_LEDGER_TABLE_H_

#include <map>
#include <optional>
#include <set>
#include <vector>

namespace lt::ledger {

template <typename K, typename V>
class Table {
 public:
  const V* Find(const K& k) const {
    auto it = rows_.find(k);
    return it == rows_.end() ? nullptr : &it->second;
  }
  V Get(const K& k) const {
    auto it = rows_.find(k);
    return it == rows_.end() ? V{} : it->second;
  }
  bool Contains(const K& k) const { return rows_.count(k) != 0; }
  // The row for k, created with V{} when absent; journaled.
  V& Mut(const K& k) {
    Touch(k);
    return rows_[k];
  }
  void Put(const K& k, V v) { Mut(k) = std::move(v); }
  void Erase(const K& k) {
    Touch(k);
    rows_.erase(k);
  }
  // Loading from storage: not journaled.
  void Load(const K& k, V v) { rows_[k] = std::move(v); }

  // Ends a transaction: its touched keys join the set to be flushed to storage.
  void Commit() {
    for (const auto& [k, old] : undo_) dirty_.insert(k);
    undo_.clear();
  }
  void Rollback() {
    for (auto& [k, old] : undo_) {
      if (old) {
        rows_[k] = std::move(*old);
      } else {
        rows_.erase(k);
      }
    }
    undo_.clear();
  }
  // Keys of committed transactions not yet flushed (present or erased now); clears the set.
  std::vector<K> TakeDirty() {
    std::vector<K> out(dirty_.begin(), dirty_.end());
    dirty_.clear();
    return out;
  }
  void ClearDirty() { dirty_.clear(); }
  const std::map<K, V>& rows() const { return rows_; }
  size_t size() const { return rows_.size(); }

 private:
  void Touch(const K& k) {
    if (undo_.count(k)) return;
    auto it = rows_.find(k);
    if (it == rows_.end()) {
      undo_.emplace(k, std::nullopt);
    } else {
      undo_.emplace(k, it->second);
    }
  }
  std::map<K, V> rows_;
  std::map<K, std::optional<V>> undo_;
  std::set<K> dirty_;
};

}  // namespace lt::ledger

#endif  // LT_LEDGER_TABLE_H_
