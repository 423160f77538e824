// Memory shared with the kernel: the ring mappings and page-aligned buffers, both exposed as
// external ArrayBuffers whose finalizers munmap, and the address of a view's bytes; and one
// malloc/free pair, which sets glibc's dynamic thresholds (see ReleaseBlock).
#include "abi.h"

#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

namespace uring {

namespace {

struct Mapping {
  size_t length;
};

void Unmap(Napi::Env env, void* data, Mapping* mapping) {
  munmap(data, mapping->length);
  Napi::MemoryManagement::AdjustExternalMemory(env, -static_cast<int64_t>(mapping->length));
  delete mapping;
}

Napi::Value Wrap(Napi::Env env, void* data, size_t length) {
  Napi::MemoryManagement::AdjustExternalMemory(env, static_cast<int64_t>(length));
  return Napi::ArrayBuffer::New(env, data, length, Unmap, new Mapping{length});
}

// mmap(fd, offset, length) -> ArrayBuffer | -errno. A shared mapping of the ring at `offset`
// (IORING_OFF_SQ_RING, IORING_OFF_CQ_RING, IORING_OFF_SQES), populated up front.
Napi::Value MapRing(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].ToNumber().Int32Value();
  int64_t offset = info[1].ToNumber().Int64Value();
  int64_t length = info[2].ToNumber().Int64Value();
  if (length <= 0) return Napi::Number::New(env, -EINVAL);
  void* data = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
  if (data == MAP_FAILED) return Napi::Number::New(env, -errno);
  return Wrap(env, data, length);
}

// allocAligned(length) -> ArrayBuffer | -errno. Zeroed, page-aligned anonymous memory: for
// provided-buffer rings (which must be page-aligned) and for I/O buffers, which the kernel
// copies into ~5x faster when they start on a page boundary.
Napi::Value AllocAligned(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t length = info[0].ToNumber().Int64Value();
  if (length <= 0) return Napi::Number::New(env, -EINVAL);
  void* data = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (data == MAP_FAILED) return Napi::Number::New(env, -errno);
  return Wrap(env, data, length);
}

// addressOf(view) -> the address of its first byte as a Number (user addresses fit in 2^53),
// or -EINVAL for a value that has no bytes.
Napi::Value AddressOf(const Napi::CallbackInfo& info) {
  void* data;
  size_t length;
  if (!ViewBytes(info[0], &data, &length)) return Napi::Number::New(info.Env(), -EINVAL);
  return Napi::Number::New(info.Env(), static_cast<double>(reinterpret_cast<uintptr_t>(data)));
}

// releaseBlock(length) -> 0 | -ENOMEM | -ENOSYS. malloc(length) then free() of it, nothing else:
// on glibc, freeing a block that was mmap'd because it was above the mmap threshold raises that
// threshold to its size and the trim threshold to twice it (malloc(3), the dynamic mmap
// threshold, unless the program set either). -ENOSYS on other C libraries, whose free() does not.
Napi::Value ReleaseBlock(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
#ifdef __GLIBC__
  int64_t length = info[0].ToNumber().Int64Value();
  if (length <= 0) return Napi::Number::New(env, -EINVAL);
  void* volatile block = malloc(static_cast<size_t>(length));  // volatile: the pair must not be elided
  if (block == nullptr) return Napi::Number::New(env, -ENOMEM);
  free(block);
  return Napi::Number::New(env, 0);
#else
  return Napi::Number::New(env, -ENOSYS);
#endif
}

}  // namespace

void InitMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("mmap", Napi::Function::New(env, MapRing, "mmap"));
  exports.Set("allocAligned", Napi::Function::New(env, AllocAligned, "allocAligned"));
  exports.Set("addressOf", Napi::Function::New(env, AddressOf, "addressOf"));
  exports.Set("releaseBlock", Napi::Function::New(env, ReleaseBlock, "releaseBlock"));
}

}  // namespace uring
