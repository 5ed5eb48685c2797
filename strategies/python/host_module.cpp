// The Python extension module that holds all of sharebench (host.hpp says why): python3.11
// loads it and calls main(argv), which runs sharebench's command line and exits the process
// with its exit code. It never returns to Python: the interpreter is never finalized, as an
// embedded one is not (interpreter.hpp).
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "harness/cli.hpp"
#include "strategies/python/host.hpp"

namespace {

PyObject* host_main(PyObject* /*module*/, PyObject* arguments) {
  PyObject* list = PySequence_Fast(arguments, "main() takes the command line as a list of str");
  if (list == nullptr) return nullptr;
  std::vector<std::string> args;
  for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(list); ++i) {
    PyObject* encoded = PyUnicode_EncodeFSDefault(PySequence_Fast_GET_ITEM(list, i));  // as sys.argv was decoded
    if (encoded == nullptr) {
      Py_DECREF(list);
      return nullptr;
    }
    args.emplace_back(PyBytes_AS_STRING(encoded), static_cast<std::size_t>(PyBytes_GET_SIZE(encoded)));
    Py_DECREF(encoded);
  }
  Py_DECREF(list);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  sharebench::python::begin_hosting();
  std::exit(sharebench::command_line(static_cast<int>(args.size()), argv.data()));
}

PyMethodDef g_methods[] = {
    {"main", host_main, METH_O, "main(argv): runs sharebench's command line and exits with its code"},
    {nullptr, nullptr, 0, nullptr}};

PyModuleDef g_module = {PyModuleDef_HEAD_INIT,
                        "sharebench_python_host",
                        "sharebench, run inside python3.11 (strategies/python/host.hpp)",
                        -1,
                        g_methods,
                        nullptr,
                        nullptr,
                        nullptr,
                        nullptr};

}  // namespace

PyMODINIT_FUNC PyInit_sharebench_python_host() { return PyModule_Create(&g_module); }
