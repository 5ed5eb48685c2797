// Python.h first: it sets feature macros the standard headers must see.
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "strategies/python/python_strategy.hpp"

#include <sys/stat.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "common/error.hpp"
#include "common/os.hpp"
#include "strategies/python/interpreter.hpp"

namespace sharebench {
namespace {

using python::Gil;
using python::Ref;

Ref bytes_of(std::string_view s) {
  return Ref(PyBytes_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size())));
}

// A peer's attribute, or an empty Ref (and no pending exception) if it has none.
Ref optional_attr(PyObject* object, const char* name) {
  Ref attr(PyObject_GetAttrString(object, name));
  if (!attr) PyErr_Clear();
  return attr;
}

// What a peer's get() returned: None (absent) or a bytes-like value, copied into op's result.
// Returns false with a Python exception pending if it is neither.
bool read_value(PyObject* value, Op& op) {
  if (value == Py_None) {
    op.found = false;
    return true;
  }
  op.found = true;
  if (PyBytes_Check(value)) {
    op.copy_result({PyBytes_AS_STRING(value), static_cast<std::size_t>(PyBytes_GET_SIZE(value))});
    return true;
  }
  Py_buffer view;
  if (PyObject_GetBuffer(value, &view, PyBUF_SIMPLE) != 0) {
    PyErr_Format(PyExc_TypeError, "get() returned %s, not bytes or None", Py_TYPE(value)->tp_name);
    return false;
  }
  op.copy_result({static_cast<const char*>(view.buf), static_cast<std::size_t>(view.len)});
  PyBuffer_Release(&view);
  return true;
}

bool read_counter(PyObject* value, std::int64_t& out) {
  out = PyLong_AsLongLong(value);
  return !(out == -1 && PyErr_Occurred());
}

// A worker's one thread holds the GIL from connect() to the client's end, as a plain Python
// program's main thread holds it between calls: taking and dropping it around every batch
// cost about 50 ns, half of py-null's op. A Python thread the peer starts (a Queue's feeder)
// gets it as it would in that program: while the client blocks in a call that releases it,
// or after the interpreter's switch interval (5 ms) during a call. And whenever the worker
// waits outside Python (pause()): a feeder that has written a message waits for the GIL
// still holding the Queue's write lock, which every other worker's feeder needs.
class PythonClient final : public Client {
 public:
  // `gil` is the hold connect() took: the client keeps it, so that holds nest as they must
  // (the last taken is the first dropped).
  PythonClient(std::unique_ptr<Gil> gil, std::string label, Ref client, const Capabilities& caps)
      : gil_(std::move(gil)), label_(std::move(label)), client_(std::move(client)) {
    execute_ = optional_attr(client_.get(), "execute");
    close_ = optional_attr(client_.get(), "close");
    std::string lacking;
    auto method = [&](const char* name, bool needed) {
      Ref m = optional_attr(client_.get(), name);
      if (!m && needed) lacking += std::string(lacking.empty() ? "" : ", ") + name + "()";
      return m;
    };
    get_ = method("get", !execute_);
    put_ = method("put", caps.put && !execute_);
    add_ = method("add", caps.add && !execute_);
    if (!lacking.empty()) throw Error(label_ + ": the client connect() returned lacks " + lacking);
    if (Ref batch = optional_attr(client_.get(), "preferred_batch")) {
      const long n = PyLong_AsLong(batch.get());
      if (n < 1) throw Error(label_ + ": client.preferred_batch must be an int >= 1");
      batch_ = static_cast<std::size_t>(n);
    }
  }
  PythonClient(const PythonClient&) = delete;
  PythonClient& operator=(const PythonClient&) = delete;

  // close() lets a peer flush one-way writes (a Queue's feeder thread) before the worker exits.
  ~PythonClient() override {
    resume();
    if (close_) {
      Ref r(PyObject_CallNoArgs(close_.get()));
      if (!r) std::fprintf(stderr, "%s: close(): %s\n", label_.c_str(), python::take_exception().c_str());
    }
  }

  void execute(std::span<Op> ops) override {
    resume();
    if (execute_) {
      run_batch(ops);
    } else {
      for (Op& op : ops) run_one(op);
    }
  }
  std::size_t preferred_batch() const override { return batch_; }
  void pause() override {
    if (paused_ == nullptr) paused_ = PyEval_SaveThread();
  }

 private:
  void resume() {
    if (paused_ != nullptr) PyEval_RestoreThread(std::exchange(paused_, nullptr));
  }

  [[noreturn]] void fail() const { throw Error(label_ + ": " + python::take_exception()); }

  void run_one(Op& op) {
    Ref key = bytes_of(op.key);
    if (!key) fail();
    switch (op.kind) {
      case OpKind::get: {
        if (!get_) throw Error(label_ + ": the client has no get()");
        Ref r(PyObject_CallOneArg(get_.get(), key.get()));
        if (!r || !read_value(r.get(), op)) fail();
        break;
      }
      case OpKind::put: {
        if (!put_) throw Error(label_ + ": the client has no put()");
        Ref value = bytes_of(op.value);
        if (!value) fail();
        PyObject* args[] = {key.get(), value.get()};
        Ref r(PyObject_Vectorcall(put_.get(), args, 2, nullptr));
        if (!r) fail();
        break;
      }
      case OpKind::add: {
        if (!add_) throw Error(label_ + ": the client has no add()");
        Ref delta(PyLong_FromLongLong(op.delta));
        if (!delta) fail();
        PyObject* args[] = {key.get(), delta.get()};
        Ref r(PyObject_Vectorcall(add_.get(), args, 2, nullptr));
        if (!r || !read_counter(r.get(), op.counter)) fail();
        break;
      }
    }
  }

  // One call for the whole batch: execute([(kind, key, arg), ...]) -> [result, ...], kind 0
  // get (arg None, result bytes or None), 1 put (arg the value), 2 add (arg the delta, result
  // the new value).
  void run_batch(std::span<Op> ops) {
    Ref list(PyList_New(static_cast<Py_ssize_t>(ops.size())));
    if (!list) fail();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const Op& op = ops[i];
      Ref key = bytes_of(op.key);
      Ref arg;
      switch (op.kind) {
        case OpKind::get:
          arg = Ref(Py_NewRef(Py_None));
          break;
        case OpKind::put:
          arg = bytes_of(op.value);
          break;
        case OpKind::add:
          arg = Ref(PyLong_FromLongLong(op.delta));
          break;
      }
      Ref kind(PyLong_FromLong(static_cast<long>(op.kind)));
      if (!key || !arg || !kind) fail();
      PyObject* tuple = PyTuple_Pack(3, kind.get(), key.get(), arg.get());
      if (tuple == nullptr) fail();
      PyList_SET_ITEM(list.get(), static_cast<Py_ssize_t>(i), tuple);  // steals the tuple
    }
    Ref results(PyObject_CallOneArg(execute_.get(), list.get()));
    if (!results) fail();
    Ref fast(PySequence_Fast(results.get(), "execute() must return a list"));
    if (!fast) fail();
    if (PySequence_Fast_GET_SIZE(fast.get()) != static_cast<Py_ssize_t>(ops.size())) {
      throw Error(label_ + ": execute() returned " + std::to_string(PySequence_Fast_GET_SIZE(fast.get())) +
                  " results for " + std::to_string(ops.size()) + " ops");
    }
    PyObject** items = PySequence_Fast_ITEMS(fast.get());
    for (std::size_t i = 0; i < ops.size(); ++i) {
      Op& op = ops[i];
      if (op.kind == OpKind::get && !read_value(items[i], op)) fail();
      if (op.kind == OpKind::add && !read_counter(items[i], op.counter)) fail();
    }
  }

  std::unique_ptr<Gil> gil_;  // first: dropped after the references below are gone
  PyThreadState* paused_ = nullptr;  // while pause()d: the GIL let go until resume()
  std::string label_;  // the strategy's name; the runner puts "worker N: " in front
  Ref client_, get_, put_, add_, execute_, close_;
  std::size_t batch_ = 1;
};

class PythonStrategy final : public Strategy {
 public:
  // `module` is an importable name (a built-in peer) or, if `from_file`, a path.
  PythonStrategy(std::string name, std::string_view module, bool from_file, const StrategyOptions& options,
                 const std::map<std::string, std::string>& peer_options = {})
      : name_(std::move(name)), prefix_(options.object_prefix) {
    if (from_file) {
      struct stat st;
      if (::stat(std::string(module).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        throw Error(name_ + ": no such file: " + std::string(module));
      }
    }
    python::ensure_interpreter();
    Gil gil;
    module_ = from_file ? import_file(module) : Ref(PyImport_ImportModule(std::string(module).c_str()));
    if (!module_) fail("import");
    // --op-timeout, for a peer that waits on a reply: a dead owner must fail the cell, not hang it.
    Ref op_timeout(PyFloat_FromDouble(std::chrono::duration<double>(options.op_timeout).count()));
    if (!op_timeout || PyObject_SetAttrString(module_.get(), "op_timeout_s", op_timeout.get()) != 0) fail("import");
    Ref peer_dict(PyDict_New());
    if (!peer_dict) fail("import");
    for (const auto& [option, value] : peer_options) {
      Ref text(PyUnicode_FromString(value.c_str()));
      if (!text || PyDict_SetItemString(peer_dict.get(), option.c_str(), text.get()) != 0) fail("import");
    }
    if (PyObject_SetAttrString(module_.get(), "options", peer_dict.get()) != 0) fail("import");
    std::string lacking;
    for (const char* f : {"capabilities", "prepare", "connect", "teardown"}) {
      Ref attr = optional_attr(module_.get(), f);
      if (!attr || PyCallable_Check(attr.get()) == 0) lacking += std::string(lacking.empty() ? "" : ", ") + f + "()";
    }
    if (!lacking.empty()) {
      throw Error(name_ + ": the module lacks " + lacking +
                  " of the peer protocol (strategies/python/peers/README.md)");
    }
    Ref caps(PyObject_CallMethod(module_.get(), "capabilities", nullptr));
    if (!caps || !PyDict_Check(caps.get())) {
      if (caps) throw Error(name_ + ": capabilities() must return a dict");
      fail("capabilities()");
    }
    auto flag = [&](const char* key, bool fallback) {
      PyObject* v = PyDict_GetItemString(caps.get(), key);  // borrowed
      return v == nullptr ? fallback : PyObject_IsTrue(v) == 1;
    };
    caps_ = {.holds_data = flag("holds_data", true), .put = flag("put", false), .add = flag("add", false),
             .atomic_add = flag("atomic_add", false)};
  }
  PythonStrategy(const PythonStrategy&) = delete;
  PythonStrategy& operator=(const PythonStrategy&) = delete;
  ~PythonStrategy() override {
    teardown();
    Gil gil;
    module_ = Ref();
  }

  Capabilities capabilities() const override { return caps_; }

  void prepare(const Dataset& dataset) override {
    Gil gil;
    use_private_temp_dir();
    Ref entries(PyList_New(static_cast<Py_ssize_t>(dataset.size())));
    Ref counters(PyList_New(static_cast<Py_ssize_t>(dataset.counters().size())));
    if (!entries || !counters) fail("prepare()");
    for (std::size_t i = 0; i < dataset.size(); ++i) {
      Ref key = bytes_of(dataset.key(i));
      Ref value = bytes_of(dataset.value(i));
      PyObject* pair = key && value ? PyTuple_Pack(2, key.get(), value.get()) : nullptr;
      if (pair == nullptr) fail("prepare()");
      PyList_SET_ITEM(entries.get(), static_cast<Py_ssize_t>(i), pair);  // steals the pair
    }
    for (std::size_t i = 0; i < dataset.counters().size(); ++i) {
      Ref key = bytes_of(dataset.counters()[i]);
      if (!key) fail("prepare()");
      PyList_SET_ITEM(counters.get(), static_cast<Py_ssize_t>(i), Py_NewRef(key.get()));
    }
    state_ = Ref(PyObject_CallMethod(module_.get(), "prepare", "OOs", entries.get(), counters.get(), prefix_.c_str()));
    if (state_) return;
    std::string missing;
    if (python::pending_import_error(missing)) {
      const std::string package = missing.substr(0, missing.find('.'));
      PyErr_Clear();
      throw Unavailable(name_ + ": the Python module '" + missing + "' is not installed for " +
                        SHAREBENCH_PYTHON_EXECUTABLE + " (Debian package python3-" + package + ")");
    }
    if (python::pending_not_implemented()) {  // the peer's reason, without the exception's name
      constexpr std::string_view kType = "NotImplementedError: ";
      const std::string why = python::take_exception();
      throw Unavailable(name_ + ": " + (why.starts_with(kType) ? why.substr(kType.size()) : why));
    }
    fail("prepare()");
  }

  std::unique_ptr<Client> connect(int worker) override {
    auto gil = std::make_unique<Gil>();  // the client's from here on
    Ref client(PyObject_CallMethod(module_.get(), "connect", "Oi", state_ ? state_.get() : Py_None, worker));
    if (!client) fail("connect()");
    return std::make_unique<PythonClient>(std::move(gil), name_, std::move(client), caps_);
  }

  void teardown() noexcept override {
    Gil gil;
    if (state_) {
      Ref r(PyObject_CallMethod(module_.get(), "teardown", "O", state_.get()));
      if (!r) std::fprintf(stderr, "%s: teardown(): %s\n", name_.c_str(), python::take_exception().c_str());
      state_ = Ref();
    }
    if (!temp_dir_.path().empty()) {
      if (Ref config = multiprocessing_config()) {
        if (PyDict_DelItemString(config.get(), "tempdir") != 0) PyErr_Clear();
      }
      PyErr_Clear();
      temp_dir_.reset();
    }
  }

  // The peer's helper_failure(state), e.g. "owner exited: killed by signal 9 (SIGKILL)".
  std::string helper_failure() override {
    Gil gil;
    Ref check = state_ ? optional_attr(module_.get(), "helper_failure") : Ref();
    if (!check) return "";
    Ref text(PyObject_CallOneArg(check.get(), state_.get()));
    const char* utf8 = text ? PyUnicode_AsUTF8(text.get()) : nullptr;
    if (utf8 == nullptr) return name_ + ": helper_failure(): " + python::take_exception();
    return *utf8 == '\0' ? "" : name_ + ": " + utf8;
  }

  std::vector<pid_t> helper_processes() const override {
    std::vector<pid_t> pids;
    Gil gil;
    Ref helpers = state_ ? optional_attr(module_.get(), "helpers") : Ref();
    if (!helpers) return pids;
    Ref list(PyObject_CallOneArg(helpers.get(), state_.get()));
    Ref fast(list ? PySequence_Fast(list.get(), "helpers() must return a list of pids") : nullptr);
    if (!fast) fail("helpers()");
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast.get()); ++i) {
      pids.push_back(static_cast<pid_t>(PyLong_AsLong(PySequence_Fast_GET_ITEM(fast.get(), i))));
    }
    return pids;
  }

 private:
  [[noreturn]] void fail(const char* where) const {
    throw Error(name_ + ": " + where + ": " + python::take_exception());
  }

  // Runs the file as a module registered in sys.modules (so pickle finds its classes).
  Ref import_file(std::string_view path) {
    const std::string module_name = "sharebench_user_peer_" + std::to_string(reinterpret_cast<std::uintptr_t>(this));
    Ref util(PyImport_ImportModule("importlib.util"));
    Ref spec(util ? PyObject_CallMethod(util.get(), "spec_from_file_location", "ss", module_name.c_str(),
                                        std::string(path).c_str())
                  : nullptr);
    if (!spec || spec.get() == Py_None) {
      if (spec) throw Error(name_ + ": cannot load " + std::string(path) + " as a Python module");
      return Ref();
    }
    Ref module(PyObject_CallMethod(util.get(), "module_from_spec", "O", spec.get()));
    if (!module || PyDict_SetItemString(PyImport_GetModuleDict(), module_name.c_str(), module.get()) != 0) return Ref();
    Ref loader(PyObject_GetAttrString(spec.get(), "loader"));
    Ref done(loader ? PyObject_CallMethod(loader.get(), "exec_module", "O", module.get()) : nullptr);
    if (!done) return Ref();
    return module;
  }

  std::string name_;
  // multiprocessing's `current_process()._config`, where get_temp_dir() keeps its directory.
  static Ref multiprocessing_config() {
    Ref module(PyImport_ImportModule("multiprocessing.process"));
    Ref process(module ? PyObject_CallMethod(module.get(), "current_process", nullptr) : nullptr);
    Ref config(process ? PyObject_GetAttrString(process.get(), "_config") : nullptr);
    return config && PyDict_Check(config.get()) ? std::move(config) : Ref();
  }
  // multiprocessing makes a pymp-* directory in /tmp for its sockets (a Manager's listener) and
  // removes it only when the interpreter exits, which the coordinator's never does: point it
  // at a directory of this run's own, removed at teardown.
  void use_private_temp_dir() {
    if (!temp_dir_.path().empty()) return;
    temp_dir_ = PrivateDir(prefix_ + "-python");
    Ref config = multiprocessing_config();
    Ref path(PyUnicode_FromString(temp_dir_.path().c_str()));
    if (!config || !path || PyDict_SetItemString(config.get(), "tempdir", path.get()) != 0) fail("prepare()");
  }

  std::string prefix_;
  PrivateDir temp_dir_;  // multiprocessing's temporary directory while a cell runs
  Ref module_;
  Ref state_;  // what prepare() returned; empty before prepare() and after teardown()
  Capabilities caps_;
};

// `python:PATH` rows. A row's factory is a plain function pointer, so each slot has its own.
constexpr std::size_t kUserSlots = 8;
struct UserSlot {
  std::string name;
  StrategyInfo info;
};
std::array<UserSlot, kUserSlots> g_user_slots;
std::size_t g_user_slots_used = 0;

template <std::size_t I>
std::unique_ptr<Strategy> make_user(const StrategyOptions& options) {
  const std::string& name = g_user_slots[I].name;
  return std::make_unique<PythonStrategy>(name, std::string_view(name).substr(7), true, options);
}

template <std::size_t... I>
constexpr std::array<std::unique_ptr<Strategy> (*)(const StrategyOptions&), kUserSlots> user_factories(
    std::index_sequence<I...>) {
  return {make_user<I>...};
}

}  // namespace

std::unique_ptr<Strategy> make_python_strategy(std::string_view name, std::string_view module,
                                               const StrategyOptions& options,
                                               const std::map<std::string, std::string>& peer_options) {
  return std::make_unique<PythonStrategy>(std::string(name), module, false, options, peer_options);
}

std::unique_ptr<Strategy> make_py_manager_strategy(const StrategyOptions& options) {
  const bool given = options.given.contains(kAddModeOption.flag);
  return make_python_strategy("py-manager", "py_manager", options,
                              {{"add_mode", given ? options.text(kAddModeOption) : "rmw"}});
}

const StrategyInfo* find_python_user_strategy(std::string_view name) {
  constexpr std::string_view kPrefix = "python:";
  if (!name.starts_with(kPrefix) || name.size() == kPrefix.size()) return nullptr;
  for (std::size_t i = 0; i < g_user_slots_used; ++i) {
    if (g_user_slots[i].name == name) return &g_user_slots[i].info;
  }
  if (g_user_slots_used == kUserSlots) return nullptr;
  static constexpr auto kFactories = user_factories(std::make_index_sequence<kUserSlots>{});
  UserSlot& slot = g_user_slots[g_user_slots_used];
  slot.name = std::string(name);
  slot.info = {slot.name, "your own Python peer module (the py-* protocol)", kFactories[g_user_slots_used]};
  ++g_user_slots_used;
  return &slot.info;
}

}  // namespace sharebench
