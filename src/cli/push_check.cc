#include "cli/push_check.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "engine/gguf.h"
#include "engine/model.h"

namespace lt::cli {
namespace {

namespace fs = std::filesystem;

// The GGUF's general.architecture, or the reader's error naming the file.
Result<std::string> GgufArchitecture(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(path + ": cannot open");
  struct stat st {};
  if (::fstat(fd, &st) != 0 || st.st_size <= 0) {
    ::close(fd);
    return InvalidArgument(path + " is empty, not a GGUF file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return IoError(path + ": cannot map");
  Result<std::string> out = [&]() -> Result<std::string> {
    auto f = engine::ParseGguf(static_cast<const uint8_t*>(p), size, path);
    if (!f.ok()) return InvalidArgument(path + " is not a GGUF file the engine can read (" + f.error().message + ")");
    auto arch = f->GetString("general.architecture");
    if (!arch.ok() || arch->empty()) return InvalidArgument(path + ": the GGUF has no general.architecture");
    return *arch;
  }();
  ::munmap(p, size);
  return out;
}

// The files a format check looks at: given files, or the files of a given directory whose name
// ends in `ext`.
std::vector<std::string> ModelFiles(const std::vector<std::string>& files, const std::string& ext) {
  std::vector<std::string> out;
  for (const auto& f : files) {
    std::error_code ec;
    if (!fs::is_directory(f, ec)) {
      out.push_back(f);
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(f, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec)) {
      if (it->is_regular_file() && it->path().extension() == ext) out.push_back(it->path().string());
    }
  }
  return out;
}

}  // namespace

Result<FormatFacts> CheckModelFormat(const std::string& format, const std::vector<std::string>& files,
                                     const std::string& tokenizer, const std::string& architecture_flag) {
  FormatFacts facts;
  facts.architecture = architecture_flag;
  if (format == "gguf") {
    facts.checked = true;
    std::vector<std::string> models = ModelFiles(files, ".gguf");
    if (models.empty()) return InvalidArgument("--format gguf, but no .gguf file among the files given");
    for (const auto& m : models) {
      LT_TRY(std::string arch, GgufArchitecture(m));
      if (!architecture_flag.empty() && architecture_flag != arch) {
        return InvalidArgument("--architecture " + architecture_flag + ", but " + m + " says " + arch);
      }
      facts.architecture = arch;
    }
  } else if (format == "llama2c") {
    facts.checked = true;
    std::vector<std::string> models = ModelFiles(files, ".bin");
    if (models.size() != 1) {
      return InvalidArgument("--format llama2c takes one checkpoint file (and --tokenizer), got " +
                             std::to_string(models.size()));
    }
    auto m = engine::Model::LoadCheckpoint(models[0], tokenizer);
    if (!m.ok()) {
      return InvalidArgument(models[0] + " is not a llama2.c checkpoint the engine can load (" + m.error().message +
                             ")");
    }
    if (facts.architecture.empty()) facts.architecture = "llama";
  }
  return facts;
}

}  // namespace lt::cli
