// A request to stop one fetch, made by another coroutine on the fetch's executor: the fetch says
// how to stop the step it is waiting in (close its socket), and checks between steps.
#pragma once

#include <functional>
#include <utility>

namespace ocipfs {

// Not thread-safe: the fetch and whoever cancels it run on the same single-threaded executor.
class CancelSignal {
 public:
  // Stops the fetch: runs the current step's stop, once; later steps see cancelled().
  void cancel() {
    if (cancelled_) return;
    cancelled_ = true;
    auto stop = std::exchange(stop_, {});
    if (stop) stop();
  }
  bool cancelled() const { return cancelled_; }

  // While a step waits, `stop` ends it (replacing any earlier one); at once when already
  // cancelled. `stop` must stay callable until clear().
  void on_cancel(std::function<void()> stop) {
    if (cancelled_) {
      if (stop) stop();
      return;
    }
    stop_ = std::move(stop);
  }
  void clear() { stop_ = {}; }  // the step is over: its stop must not run any more

 private:
  bool cancelled_ = false;
  std::function<void()> stop_;
};

}  // namespace ocipfs
