// Shared declarations of the @uring/abi addon. Every exported function takes primitives and
// ArrayBuffers/views and returns a Number: a result, or -errno. Nothing here validates arguments
// beyond what memory safety needs (a wrong type yields -EINVAL, never a crash), and nothing throws:
// TypeScript decides what a result means.
#pragma once

#include <napi.h>
#include <cstddef>

namespace uring {

// A view's bytes: ArrayBuffer, TypedArray, DataView or Buffer. False if `value` is none of those.
bool ViewBytes(const Napi::Value& value, void** data, size_t* length);

// -errno for the current errno when r < 0, else r.
inline double Result(long r) { return r < 0 ? -static_cast<double>(errno) : static_cast<double>(r); }

void InitSyscalls(Napi::Env env, Napi::Object exports);
void InitMemory(Napi::Env env, Napi::Object exports);
void InitPoller(Napi::Env env, Napi::Object exports);
void InitSockets(Napi::Env env, Napi::Object exports);
void InitTeardown(Napi::Env env, Napi::Object exports);
void InitUncaught(Napi::Env env, Napi::Object exports);

}  // namespace uring
