// Poller: a uv_poll_t on an eventfd inside Node's own event loop. When the eventfd becomes
// readable the poller reads it (resetting the counter, so the level-triggered poll does not fire
// again) and calls the JS callback through napi_make_callback, so the microtasks the callback
// queues (settled promises) run right after it, as after any libuv callback in Node.
//
// Lifetime: the uv handle lives in a PollState that outlives the JS wrapper until uv_close's
// callback. The handle is closed by close(), by the wrapper's finalizer, or by an async cleanup
// hook when the environment (main thread or worker) is torn down, whichever comes first.
#include "abi.h"

#include <uv.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace uring {

namespace {

class Poller;

struct PollState {
  uv_poll_t handle;
  napi_env env;
  Poller* owner;
  napi_async_cleanup_hook_handle hook;
  int fd;
  bool closing;
};

void OnClosed(uv_handle_t* handle);

void CloseState(PollState* state) {
  if (state->closing) return;
  state->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&state->handle), OnClosed);
}

void OnTeardown(napi_async_cleanup_hook_handle, void* arg) { CloseState(static_cast<PollState*>(arg)); }

class Poller : public Napi::ObjectWrap<Poller> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Poller",
                       {InstanceMethod<&Poller::Start>("start"), InstanceMethod<&Poller::Stop>("stop"),
                        InstanceMethod<&Poller::Ref>("ref"), InstanceMethod<&Poller::Unref>("unref"),
                        InstanceMethod<&Poller::Close>("close")});
  }

  // new Poller(fd, callback). Never throws: a failed uv_poll_init is reported by start().
  explicit Poller(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Poller>(info) {
    if (!info[1].IsFunction()) {
      init_error_ = -EINVAL;
      return;
    }
    callback_ = Napi::Persistent(info[1].As<Napi::Function>());
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(info.Env(), &loop) != napi_ok) {
      init_error_ = -EINVAL;
      return;
    }
    auto* state = new PollState{};
    state->env = info.Env();
    state->owner = this;
    state->fd = info[0].ToNumber().Int32Value();
    int rc = uv_poll_init(loop, &state->handle, state->fd);
    if (rc != 0) {
      init_error_ = rc;  // libuv errors are -errno on Linux.
      delete state;
      return;
    }
    state->handle.data = state;
    napi_add_async_cleanup_hook(state->env, OnTeardown, state, &state->hook);
    state_ = state;
  }

  ~Poller() override {
    if (state_ == nullptr) return;
    state_->owner = nullptr;
    CloseState(state_);
  }

  void Detach() { state_ = nullptr; }

  void Fire(PollState* state, int status) {
    napi_env env = state->env;
    Napi::HandleScope scope(env);
    if (status == 0) {
      uint64_t count;
      // Nonblocking eventfd: EAGAIN just means another reader got there first.
      while (read(state->fd, &count, sizeof count) < 0 && errno == EINTR) {
      }
    }
    napi_value argv[1] = {Napi::Number::New(env, status)};
    napi_value global, result;
    napi_get_global(env, &global);
    if (napi_make_callback(env, nullptr, global, callback_.Value(), 1, argv, &result) == napi_pending_exception) {
      // As for any libuv callback in Node: an exception thrown by the callback is uncaught.
      napi_value error;
      napi_get_and_clear_last_exception(env, &error);
      napi_fatal_exception(env, error);
    }
  }

 private:
  Napi::Value Num(const Napi::CallbackInfo& info, int v) { return Napi::Number::New(info.Env(), v); }

  // start() -> 0 | -errno. Calls back on every readable edge until stop() or close().
  Napi::Value Start(const Napi::CallbackInfo& info) {
    if (state_ == nullptr) return Num(info, init_error_ ? init_error_ : -EBADF);
    return Num(info, uv_poll_start(&state_->handle, UV_READABLE, [](uv_poll_t* handle, int status, int) {
                 auto* state = static_cast<PollState*>(handle->data);
                 if (state->owner != nullptr && !state->closing) state->owner->Fire(state, status);
               }));
  }

  Napi::Value Stop(const Napi::CallbackInfo& info) {
    if (state_ == nullptr) return Num(info, -EBADF);
    return Num(info, uv_poll_stop(&state_->handle));
  }

  // ref()/unref(): like a libuv handle, a ref'd active poller keeps the event loop alive.
  Napi::Value Ref(const Napi::CallbackInfo& info) {
    if (state_ == nullptr) return Num(info, -EBADF);
    uv_ref(reinterpret_cast<uv_handle_t*>(&state_->handle));
    return Num(info, 0);
  }

  Napi::Value Unref(const Napi::CallbackInfo& info) {
    if (state_ == nullptr) return Num(info, -EBADF);
    uv_unref(reinterpret_cast<uv_handle_t*>(&state_->handle));
    return Num(info, 0);
  }

  // close() -> 0, idempotent. The callback is never called after it.
  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (state_ != nullptr) {
      state_->owner = nullptr;
      CloseState(state_);
      state_ = nullptr;
    }
    return Num(info, 0);
  }

  Napi::FunctionReference callback_;
  PollState* state_ = nullptr;
  int init_error_ = 0;
};

void OnClosed(uv_handle_t* handle) {
  auto* state = static_cast<PollState*>(handle->data);
  if (state->owner != nullptr) state->owner->Detach();
  napi_remove_async_cleanup_hook(state->hook);
  delete state;
}

}  // namespace

void InitPoller(Napi::Env env, Napi::Object exports) { exports.Set("Poller", Poller::Define(env)); }

}  // namespace uring
