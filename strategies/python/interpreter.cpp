#include "strategies/python/interpreter.hpp"

#include <cstdio>
#include <mutex>

#include "common/child_process.hpp"
#include "common/error.hpp"
#include "strategies/python/host.hpp"

namespace sharebench::python {
namespace {

// The GIL state taken in before_fork, released after the fork in parent and in child alike
// (the child's copy of this variable is its own).
PyGILState_STATE g_fork_gil;

void before_fork() {
  g_fork_gil = PyGILState_Ensure();
  PyOS_BeforeFork();
}
void after_fork_in_parent() {
  PyOS_AfterFork_Parent();
  PyGILState_Release(g_fork_gil);
}
// A child sharebench forks is a fork child to multiprocessing too: it gets what a
// multiprocessing.Process child gets (util._run_after_forkers), so a Manager proxy made
// before the fork opens its own connection instead of sharing the coordinator's socket, and
// a Queue forgets the coordinator's feeder-thread state.
void run_multiprocessing_after_forkers() {
  PyObject* util = PyImport_GetModule(Ref(PyUnicode_FromString("multiprocessing.util")).get());
  if (util == nullptr) {
    PyErr_Clear();  // not imported: nothing of multiprocessing crossed the fork
    return;
  }
  Ref util_ref(util);
  Ref done(PyObject_CallMethod(util, "_run_after_forkers", nullptr));
  if (!done) std::fprintf(stderr, "sharebench: python: after fork: %s\n", take_exception().c_str());
}

void after_fork_in_child() {
  PyOS_AfterFork_Child();
  run_multiprocessing_after_forkers();
  PyGILState_Release(g_fork_gil);
}

// The peers' directory first on sys.path, and the fork hooks. Call with the GIL held.
void prepare_for_peers() {
  PyObject* path = PySys_GetObject("path");  // borrowed
  Ref peers(PyUnicode_FromString(SHAREBENCH_PYTHON_PEERS_DIR));
  if (path == nullptr || !peers || PyList_Insert(path, 0, peers.get()) != 0) {
    throw Error("python: cannot add the peers directory to sys.path: " + take_exception());
  }
  set_fork_hooks({before_fork, after_fork_in_parent, after_fork_in_child});
}

void start() {
  if (hosted()) {  // python3.11 started it, with the settings below as its flags (host.cpp)
    Gil gil;
    prepare_for_peers();
    return;
  }
  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.install_signal_handlers = 0;  // SIGINT and SIGTERM belong to the harness
  config.use_environment = 0;  // a pyenv PYTHONHOME/PYTHONPATH must not redirect Debian's libpython
  config.user_site_directory = 0;
  config.parse_argv = 0;
  config.write_bytecode = 0;  // no __pycache__ beside a peer: not in the source tree, not in /tmp
  // sys.executable and the stdlib prefix: Debian's python3.11, not the sharebench binary.
  PyStatus status = PyConfig_SetBytesString(&config, &config.executable, SHAREBENCH_PYTHON_EXECUTABLE);
  if (!PyStatus_Exception(status)) status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) {
    throw Error(std::string("python: cannot start the interpreter: ") +
                (status.err_msg != nullptr ? status.err_msg : "unknown error"));
  }
  prepare_for_peers();
  PyEval_SaveThread();  // the coordinator runs C++ until it enters Python through a Gil
}

}  // namespace

void ensure_interpreter() {
  static std::once_flag once;
  std::call_once(once, start);
}

std::string take_exception() {
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  if (type == nullptr) return "unknown Python error";
  PyErr_NormalizeException(&type, &value, &traceback);
  Ref type_ref(type), value_ref(value), traceback_ref(traceback);
  std::string line = reinterpret_cast<PyTypeObject*>(type)->tp_name;
  if (value != nullptr) {
    Ref text(PyObject_Str(value));
    const char* utf8 = text ? PyUnicode_AsUTF8(text.get()) : nullptr;
    if (utf8 != nullptr && *utf8 != '\0') line += std::string(": ") + utf8;
    PyErr_Clear();  // a str() that failed must not leave a second exception behind
  }
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

bool pending_import_error(std::string& missing) {
  if (!PyErr_ExceptionMatches(PyExc_ImportError)) return false;
  PyObject* type = nullptr;
  PyObject* value = nullptr;
  PyObject* traceback = nullptr;
  PyErr_Fetch(&type, &value, &traceback);
  PyErr_NormalizeException(&type, &value, &traceback);
  missing.clear();
  if (value != nullptr) {
    Ref name(PyObject_GetAttrString(value, "name"));
    const char* utf8 = name && name.get() != Py_None ? PyUnicode_AsUTF8(name.get()) : nullptr;
    if (utf8 != nullptr) missing = utf8;
    PyErr_Clear();
  }
  PyErr_Restore(type, value, traceback);
  return true;
}

bool pending_not_implemented() { return PyErr_ExceptionMatches(PyExc_NotImplementedError) != 0; }

}  // namespace sharebench::python

#if defined(__SANITIZE_ADDRESS__)
// The interpreter lives until the process exits and is never finalized (finalizing it would
// race the peers' own at-exit handlers), so what CPython and the libraries its modules load
// (extension modules, OpenSSL for hashlib, libffi) allocated is still held at exit:
// LeakSanitizer must not count that as our leak. Our own code is still checked.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libpython3.11.so\n"
         "leak:cpython-311-x86_64-linux-gnu.so\n"
         "leak:libcrypto.so\n"
         "leak:libssl.so\n"
         "leak:libffi.so\n";
}
#endif
