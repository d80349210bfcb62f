// FileSystem: the seam for file access (STYLE.md, practice 3).
//
// RealFileSystem talks to the OS. WriteFileAtomic writes a temporary file in the same
// directory, fsyncs it, renames it over the target and fsyncs the directory, so a crash leaves
// either the old or the new content, never a torn file. Tests may wrap a FileSystem to inject
// faults (a failed fsync, a full disk). Errors name the path and the OS reason.
// Thread-safety: RealFileSystem is stateless and thread-safe.
#ifndef LT_UTIL_FS_H_
#define LT_UTIL_FS_H_

#include <string>
#include <string_view>

#include "util/bytes.h"
#include "util/result.h"

namespace lt {

class FileSystem {
 public:
  virtual ~FileSystem() = default;
  virtual Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 1ULL << 30) = 0;
  // mode is applied to the new file (0600 for secrets).
  virtual Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644) = 0;
  virtual bool Exists(const std::string& path) = 0;
  virtual Status CreateDirs(const std::string& path, int mode = 0755) = 0;
  virtual Status Remove(const std::string& path) = 0;
};

class RealFileSystem final : public FileSystem {
 public:
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes = 1ULL << 30) override;
  Status WriteFileAtomic(const std::string& path, std::string_view data, int mode = 0644) override;
  bool Exists(const std::string& path) override;
  Status CreateDirs(const std::string& path, int mode = 0755) override;
  Status Remove(const std::string& path) override;
  static RealFileSystem* Default();
};

// "path: strerror(errno)" as an IoError (or NotFound for ENOENT).
Error ErrnoError(const std::string& what, int err);

// Expands a leading "~/" with $HOME.
std::string ExpandHome(const std::string& path);

}  // namespace lt

#endif  // LT_UTIL_FS_H_
