// The three io_uring syscalls, called raw (no liburing), plus close and eventfd.
#include "abi.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>

namespace uring {

bool ViewBytes(const Napi::Value& value, void** data, size_t* length) {
  if (value.IsArrayBuffer()) {
    auto ab = value.As<Napi::ArrayBuffer>();
    *data = ab.Data();
    *length = ab.ByteLength();
    return true;
  }
  if (value.IsTypedArray()) {
    auto ta = value.As<Napi::TypedArray>();
    *data = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    *length = ta.ByteLength();
    return true;
  }
  if (value.IsDataView()) {
    auto dv = value.As<Napi::DataView>();
    *data = static_cast<uint8_t*>(dv.ArrayBuffer().Data()) + dv.ByteOffset();
    *length = dv.ByteLength();
    return true;
  }
  return false;
}

namespace {

Napi::Value Num(const Napi::CallbackInfo& info, double v) { return Napi::Number::New(info.Env(), v); }
int32_t I32(const Napi::CallbackInfo& info, size_t i) { return info[i].ToNumber().Int32Value(); }
uint32_t U32(const Napi::CallbackInfo& info, size_t i) { return info[i].ToNumber().Uint32Value(); }

// setup(entries, params: 120-byte view) -> ring fd | -errno. The kernel fills `params`.
Napi::Value Setup(const Napi::CallbackInfo& info) {
  void* params;
  size_t length;
  if (!ViewBytes(info[1], &params, &length) || length < 120) return Num(info, -EINVAL);
  return Num(info, Result(syscall(__NR_io_uring_setup, U32(info, 0), params)));
}

// enter(fd, toSubmit, minComplete, flags, arg?) -> count | -errno. `arg` is the raw argument the
// flags ask for (struct io_uring_getevents_arg with IORING_ENTER_EXT_ARG); its length is passed
// as the size.
Napi::Value Enter(const Napi::CallbackInfo& info) {
  void* arg = nullptr;
  size_t size = 0;
  if (info.Length() > 4 && !info[4].IsUndefined() && !info[4].IsNull() && !ViewBytes(info[4], &arg, &size))
    return Num(info, -EINVAL);
  return Num(info, Result(syscall(__NR_io_uring_enter, I32(info, 0), U32(info, 1), U32(info, 2), U32(info, 3), arg, size)));
}

// register(fd, opcode, arg | null, nrArgs) -> result | -errno.
Napi::Value Register(const Napi::CallbackInfo& info) {
  void* arg = nullptr;
  size_t size = 0;
  if (!info[2].IsUndefined() && !info[2].IsNull() && !ViewBytes(info[2], &arg, &size)) return Num(info, -EINVAL);
  return Num(info, Result(syscall(__NR_io_uring_register, I32(info, 0), U32(info, 1), arg, U32(info, 3))));
}

// close(fd) -> 0 | -errno.
Napi::Value Close(const Napi::CallbackInfo& info) { return Num(info, Result(close(I32(info, 0)))); }

// eventfd(initval, flags) -> fd | -errno.
Napi::Value EventFd(const Napi::CallbackInfo& info) {
  return Num(info, Result(eventfd(U32(info, 0), I32(info, 1))));
}

// fcntl(fd, cmd, arg) -> result | -errno, for integer-argument commands (F_SETPIPE_SZ, F_GETFL, ...).
Napi::Value Fcntl(const Napi::CallbackInfo& info) {
  return Num(info, Result(fcntl(I32(info, 0), I32(info, 1), I32(info, 2))));
}

}  // namespace

void InitSyscalls(Napi::Env env, Napi::Object exports) {
  exports.Set("setup", Napi::Function::New(env, Setup, "setup"));
  exports.Set("enter", Napi::Function::New(env, Enter, "enter"));
  exports.Set("register", Napi::Function::New(env, Register, "register"));
  exports.Set("close", Napi::Function::New(env, Close, "close"));
  exports.Set("eventfd", Napi::Function::New(env, EventFd, "eventfd"));
  exports.Set("fcntl", Napi::Function::New(env, Fcntl, "fcntl"));
}

}  // namespace uring
