// Closing a ring safely when its Node environment is torn down (process exit, worker
// termination). Ring fds belong to the process, not to the environment: a worker's ring left open
// would let the kernel finish reads into buffers that V8 has already freed for other threads. So
// the hook cancels every request synchronously (IORING_REGISTER_SYNC_CANCEL, 6.0), waiting until
// none can still touch memory, and then closes the fd. JS cannot run at that point, so this is
// the one piece of policy that lives in C++.
#include "abi.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <unordered_map>

namespace uring {

namespace {

constexpr unsigned kRegisterSyncCancel = 24;  // IORING_REGISTER_SYNC_CANCEL
constexpr unsigned kCancelAll = 1u << 0;      // IORING_ASYNC_CANCEL_ALL
constexpr unsigned kCancelAny = 1u << 2;      // IORING_ASYNC_CANCEL_ANY

struct SyncCancelReg {  // struct io_uring_sync_cancel_reg
  uint64_t addr;
  int32_t fd;
  uint32_t flags;
  int64_t tv_sec;
  int64_t tv_nsec;
  uint8_t opcode;
  uint8_t pad[7];
  uint64_t pad2[3];
};
static_assert(sizeof(SyncCancelReg) == 64, "io_uring_sync_cancel_reg is 64 bytes");

struct Tracked {
  int fd;
};

// Per environment: fd -> hook argument, so closeOnTeardown can be undone.
struct Registry {
  std::unordered_map<int, Tracked*> rings;
};

void Teardown(void* arg) {
  auto* tracked = static_cast<Tracked*>(arg);
  SyncCancelReg reg;
  std::memset(&reg, 0, sizeof reg);
  reg.flags = kCancelAny | kCancelAll;
  reg.tv_sec = 5;  // bounded: a request that cannot be cancelled must not hang teardown forever
  syscall(__NR_io_uring_register, tracked->fd, kRegisterSyncCancel, &reg, 1);
  close(tracked->fd);
  delete tracked;
}

Registry* RegistryOf(Napi::Env env) {
  auto* registry = env.GetInstanceData<Registry>();
  if (registry == nullptr) {
    registry = new Registry();
    env.SetInstanceData(registry);
  }
  return registry;
}

// closeOnTeardown(fd) -> 0: at environment teardown, cancel everything on ring `fd` and close it.
Napi::Value CloseOnTeardown(const Napi::CallbackInfo& info) {
  int fd = info[0].ToNumber().Int32Value();
  auto* registry = RegistryOf(info.Env());
  if (registry->rings.count(fd)) return Napi::Number::New(info.Env(), -EEXIST);
  auto* tracked = new Tracked{fd};
  registry->rings[fd] = tracked;
  napi_add_env_cleanup_hook(info.Env(), Teardown, tracked);
  return Napi::Number::New(info.Env(), 0);
}

// forgetOnTeardown(fd) -> 0 | -ENOENT: the ring was closed by its owner; no teardown needed.
Napi::Value ForgetOnTeardown(const Napi::CallbackInfo& info) {
  int fd = info[0].ToNumber().Int32Value();
  auto* registry = RegistryOf(info.Env());
  auto it = registry->rings.find(fd);
  if (it == registry->rings.end()) return Napi::Number::New(info.Env(), -ENOENT);
  napi_remove_env_cleanup_hook(info.Env(), Teardown, it->second);
  delete it->second;
  registry->rings.erase(it);
  return Napi::Number::New(info.Env(), 0);
}

}  // namespace

void InitTeardown(Napi::Env env, Napi::Object exports) {
  exports.Set("closeOnTeardown", Napi::Function::New(env, CloseOnTeardown, "closeOnTeardown"));
  exports.Set("forgetOnTeardown", Napi::Function::New(env, ForgetOnTeardown, "forgetOnTeardown"));
}

}  // namespace uring
