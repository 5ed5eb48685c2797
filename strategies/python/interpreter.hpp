// The one CPython of this process, and RAII for what it hands out.
//
// In a process python3.11 runs (host.hpp) it is python3.11's own; else it is embedded,
// started on first use and never finalized (CPython cannot reliably start twice with
// extension modules loaded; the process exits instead). After starting, the coordinator's
// thread drops the GIL; every entry into Python takes it with a Gil. Starting it installs
// fork hooks (common/child_process.hpp): every fork sharebench makes takes the GIL, calls
// PyOS_BeforeFork, and after the fork PyOS_AfterFork_Parent or PyOS_AfterFork_Child, so a
// worker starts with a sound interpreter whatever the coordinator was doing in Python.
#pragma once

#include <Python.h>

#include <string>
#include <utility>

namespace sharebench::python {

// Starts the interpreter if it is not running yet (in a hosted process: readies it for the
// peers). Throws Error if it cannot start.
void ensure_interpreter();

// Holds the GIL for its lifetime, from any thread of this process.
class Gil {
 public:
  Gil() : state_(PyGILState_Ensure()) {}
  ~Gil() { PyGILState_Release(state_); }
  Gil(const Gil&) = delete;
  Gil& operator=(const Gil&) = delete;

 private:
  PyGILState_STATE state_;
};

// An owned (strong) reference. Destroy it only while holding the GIL.
class Ref {
 public:
  Ref() = default;
  explicit Ref(PyObject* owned) : p_(owned) {}
  Ref(Ref&& other) noexcept : p_(std::exchange(other.p_, nullptr)) {}
  Ref& operator=(Ref&& other) noexcept {
    if (this != &other) {
      Py_XDECREF(p_);
      p_ = std::exchange(other.p_, nullptr);
    }
    return *this;
  }
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() { Py_XDECREF(p_); }

  PyObject* get() const { return p_; }
  explicit operator bool() const { return p_ != nullptr; }

 private:
  PyObject* p_ = nullptr;
};

// The pending Python exception as one line, "KeyError: 'x'", and clears it.
std::string take_exception();
// True if the pending exception is an ImportError (a package the peer needs is missing);
// `missing` gets the module's name. Leaves the exception pending.
bool pending_import_error(std::string& missing);
// True if the pending exception is a NotImplementedError: the peer cannot hold this dataset.
bool pending_not_implemented();

}  // namespace sharebench::python
