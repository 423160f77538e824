// An exception made uncaught from where it was thrown. A layer that calls users' callbacks in a
// batch (the loop settling a tick's completions) must catch what one throws, finish the batch,
// and only then let it go; a JavaScript rethrow would make Node print the rethrow's own source
// line above the stack. napi_fatal_exception (N-API 3) hands the error to process._fatalException
// — 'uncaughtException' and its monitor, domains, or the end of the process (of a worker: its
// 'error' in the parent) — with a message V8 builds from the error's captured stack, so the line
// Node prints is the thrower's, as for an exception thrown from a libuv callback.
#include "abi.h"

#include <cerrno>

namespace uring {

namespace {

// fatalException(error): 0 once a handler took it (otherwise the process or worker is ending),
// -EINVAL when N-API refused (an exception already pending).
Napi::Value FatalException(const Napi::CallbackInfo& info) {
  napi_status status = napi_fatal_exception(info.Env(), info[0]);
  return Napi::Number::New(info.Env(), status == napi_ok ? 0 : -EINVAL);
}

}  // namespace

void InitUncaught(Napi::Env env, Napi::Object exports) {
  exports.Set("fatalException", Napi::Function::New(env, FatalException, "fatalException"));
}

}  // namespace uring
