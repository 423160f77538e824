// Descriptor syscalls io_uring has no opcode for (as of 6.12) that the layers above need:
// pipe2 (the middle of a splice), and socket names and options; accept4(2) at once, where the
// ring's accept would wait for a connection; shutdown(2), whose opcode
// (IORING_OP_SHUTDOWN) the kernel always hands to an io-wq worker (see net's socket-ops.ts); and
// ioctl(2) for a count (FIONREAD: bytes waiting to be read), wanted at once, not from the ring.
#include "abi.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace uring {

namespace {

Napi::Value Num(const Napi::CallbackInfo& info, double v) { return Napi::Number::New(info.Env(), v); }

// pipe(out: Int32Array(2), flags) -> 0 | -errno; the read end goes to out[0], the write end to out[1].
Napi::Value Pipe(const Napi::CallbackInfo& info) {
  void* out;
  size_t length;
  if (!ViewBytes(info[0], &out, &length) || length < 2 * sizeof(int)) return Num(info, -EINVAL);
  return Num(info, Result(pipe2(static_cast<int*>(out), info[1].ToNumber().Int32Value())));
}

// getsockname/getpeername(fd, out) -> address length | -errno; `out` receives the sockaddr.
template <int (*Fn)(int, sockaddr*, socklen_t*)>
Napi::Value SockName(const Napi::CallbackInfo& info) {
  void* out;
  size_t length;
  if (!ViewBytes(info[1], &out, &length)) return Num(info, -EINVAL);
  socklen_t len = static_cast<socklen_t>(length);
  long r = Fn(info[0].ToNumber().Int32Value(), static_cast<sockaddr*>(out), &len);
  return Num(info, r < 0 ? Result(r) : static_cast<double>(len));
}

// setsockopt(fd, level, name, value) -> 0 | -errno.
Napi::Value SetSockOpt(const Napi::CallbackInfo& info) {
  void* value;
  size_t length;
  if (!ViewBytes(info[3], &value, &length)) return Num(info, -EINVAL);
  return Num(info, Result(setsockopt(info[0].ToNumber().Int32Value(), info[1].ToNumber().Int32Value(),
                                     info[2].ToNumber().Int32Value(), value, static_cast<socklen_t>(length))));
}

// getsockopt(fd, level, name, out) -> option length | -errno.
Napi::Value GetSockOpt(const Napi::CallbackInfo& info) {
  void* out;
  size_t length;
  if (!ViewBytes(info[3], &out, &length)) return Num(info, -EINVAL);
  socklen_t len = static_cast<socklen_t>(length);
  long r = getsockopt(info[0].ToNumber().Int32Value(), info[1].ToNumber().Int32Value(),
                      info[2].ToNumber().Int32Value(), out, &len);
  return Num(info, r < 0 ? Result(r) : static_cast<double>(len));
}

// accept4(fd, flags) -> the new descriptor | -errno; the peer's address is not asked for.
Napi::Value Accept4(const Napi::CallbackInfo& info) {
  return Num(info, Result(accept4(info[0].ToNumber().Int32Value(), nullptr, nullptr, info[1].ToNumber().Int32Value())));
}

// shutdown(fd, how) -> 0 | -errno.
Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  return Num(info, Result(shutdown(info[0].ToNumber().Int32Value(), info[1].ToNumber().Int32Value())));
}

// ioctlInt(fd, request) -> the int the kernel wrote | -errno; for requests whose argument is an
// int out-parameter (FIONREAD/SIOCINQ, SIOCOUTQ).
Napi::Value IoctlInt(const Napi::CallbackInfo& info) {
  int value = 0;
  long r = ioctl(info[0].ToNumber().Int32Value(), static_cast<unsigned long>(info[1].ToNumber().Uint32Value()), &value);
  return Num(info, r < 0 ? Result(r) : static_cast<double>(value));
}

}  // namespace

void InitSockets(Napi::Env env, Napi::Object exports) {
  exports.Set("pipe", Napi::Function::New(env, Pipe, "pipe"));
  exports.Set("getsockname", Napi::Function::New(env, SockName<getsockname>, "getsockname"));
  exports.Set("getpeername", Napi::Function::New(env, SockName<getpeername>, "getpeername"));
  exports.Set("setsockopt", Napi::Function::New(env, SetSockOpt, "setsockopt"));
  exports.Set("getsockopt", Napi::Function::New(env, GetSockOpt, "getsockopt"));
  exports.Set("accept4", Napi::Function::New(env, Accept4, "accept4"));
  exports.Set("shutdown", Napi::Function::New(env, Shutdown, "shutdown"));
  exports.Set("ioctlInt", Napi::Function::New(env, IoctlInt, "ioctlInt"));
}

}  // namespace uring
