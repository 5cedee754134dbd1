#include "ocipfs/publish/temporary_paths.hpp"

#include <map>
#include <mutex>
#include <system_error>

namespace ocipfs {

namespace {

struct Registry {
  std::mutex mutex;
  std::map<TemporaryId, std::filesystem::path> paths;
  TemporaryId last = 0;
};

// Never destroyed: a signal may arrive while static objects are destroyed at exit.
Registry& registry() {
  static auto* instance = new Registry;
  return *instance;
}

}  // namespace

TemporaryId create_temporary(const std::function<std::filesystem::path()>& create) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::filesystem::path path = create();
  if (path.empty()) return 0;
  r.paths.emplace(++r.last, std::move(path));
  return r.last;
}

void forget_temporary(TemporaryId id) {
  if (id == 0) return;
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.paths.erase(id);
}

void remove_temporary_paths() {
  Registry& r = registry();
  r.mutex.lock();  // not unlocked: the process is about to die
  for (const auto& [id, path] : r.paths) {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  r.paths.clear();
}

}  // namespace ocipfs
