// Entry point of the @uring/abi addon. Context-aware: each Node environment (main thread,
// worker_threads) gets its own exports and its own pollers.
#include "abi.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  uring::InitSyscalls(env, exports);
  uring::InitMemory(env, exports);
  uring::InitPoller(env, exports);
  uring::InitSockets(env, exports);
  uring::InitTeardown(env, exports);
  uring::InitUncaught(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(uring_abi, Init)
