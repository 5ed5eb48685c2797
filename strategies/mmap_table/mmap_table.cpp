#include "strategies/mmap_table/mmap_table.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "common/error.hpp"
#include "common/hash_table.hpp"
#include "common/os.hpp"
#include "strategies/mmap_table/table_format.hpp"

namespace sharebench {
namespace {

using mmap_table::TableView;

// Maps an existing table file read-only and validates it.
Mapping map_table_file(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat then refuses it.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) throw_errno("table file '" + path + "'");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_errno("table file '" + path + "'");
  if (!S_ISREG(st.st_mode)) throw Error("table file '" + path + "': not a regular file");
  if (st.st_size == 0) throw Error("table file '" + path + "': truncated: empty file");
  const auto size = static_cast<std::size_t>(st.st_size);
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd.get(), 0);
  if (p == MAP_FAILED) throw_errno("table file '" + path + "': mmap");
  return Mapping(p, size);
}

// Builds the image into path (through a temporary file and a rename, so a concurrent reader
// never sees half a table) and returns it mapped read-only.
Mapping build_table_file(const std::string& path, const Dataset& dataset) {
  const std::size_t size = mmap_table::image_size(dataset);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(temp.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!fd) throw_errno("table file '" + path + "': cannot create '" + temp + "'");
  try {
    if (::ftruncate(fd.get(), static_cast<off_t>(size)) != 0) throw_errno("table file '" + path + "'");
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) throw_errno("table file '" + path + "': mmap");
    Mapping image(p, size);
    mmap_table::build_image(dataset, image.data(), size);
    if (::mprotect(image.data(), size, PROT_READ) != 0) throw_errno("mprotect");
    if (::rename(temp.c_str(), path.c_str()) != 0) throw_errno("table file '" + path + "': rename");
    return image;
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

class MmapTableClient final : public Client {
 public:
  // Enough independent lookups in flight to hide memory latency; measured with
  // `sharebench --strategy mmap-table --batch N` (README: batching).
  static constexpr std::size_t kPreferredBatch = 16;

  explicit MmapTableClient(const TableView& view) : view_(view) {}

  // Overlaps the cache misses of independent lookups (apply_prefetched): one lookup alone
  // waits for two misses in a row; a batch waits for about two in all.
  void execute(std::span<Op> ops) override {
    // The lookups use a copy of the view: a store into an Op could alias the member, whose
    // fields the compiler would then reload after every op.
    apply_prefetched(view_, ops.size(), [ops](std::size_t i) { return ops[i].key; },
                     [view = view_, ops](std::size_t i, std::uint64_t hash) {
                       Op& op = ops[i];
                       if (op.kind != OpKind::get) unsupported(op.kind);
                       std::string_view value;
                       op.found = view.find_hashed(op.key, hash, value);
                       op.result = value;  // the image outlives the batch: nothing to copy
                     });
  }
  std::size_t preferred_batch() const override { return kPreferredBatch; }

 private:
  [[noreturn]] static void unsupported(OpKind kind) {
    throw Error(std::string("mmap-table is immutable: ") + (kind == OpKind::put ? "put" : "add") + " is not supported");
  }

  TableView view_;
};

constexpr OptionSpec kTableFile{"--table-file", "PATH", "build the table image into this file, or map it if it exists",
                                "", "table_file", any_text};
constexpr OptionSpec kOptions[] = {kTableFile};

class MmapTableStrategy final : public Strategy {
 public:
  explicit MmapTableStrategy(const StrategyOptions& options) : table_file_(options.text(kTableFile)) {}

  Capabilities capabilities() const override { return {.holds_data = true}; }

  // A table file holds one dataset: every dataset of the run must be the one an existing
  // file was built from, and one another (the first cell builds the file for the rest).
  std::vector<std::string> check_options(std::span<const DatasetShape> datasets) const override {
    if (table_file_.empty()) return {};
    for (const DatasetShape& d : datasets) {
      if (const std::string differs = dataset_differences(facts_of(d), facts_of(datasets.front())); !differs.empty()) {
        throw Error("--table-file holds one dataset, but workloads " + datasets.front().workload + " and " +
                    d.workload + " have two (" + differs + "): run them with separate table files");
      }
    }
    if (::access(table_file_.c_str(), F_OK) == 0) {
      const Mapping image = map_table_file(table_file_);
      const TableView view(image.data(), image.size(), "table file '" + table_file_ + "'");
      for (const DatasetShape& d : datasets) {
        if (const std::string differs = dataset_differences(facts_of(d), view.facts()); !differs.empty()) {
          throw another_dataset(differs);
        }
      }
      return {};
    }
    const std::string dir = parent_directory(table_file_);
    if (::access(dir.c_str(), W_OK) != 0) {
      throw_errno("table file '" + table_file_ + "' does not exist and cannot be created in '" + dir + "'");
    }
    return {};
  }

  void prepare(const Dataset& dataset) override {
    if (table_file_.empty()) {
      image_ = Mapping::shared_anonymous(mmap_table::image_size(dataset));
      mmap_table::build_image(dataset, image_.data(), image_.size());
      if (::mprotect(image_.data(), image_.size(), PROT_READ) != 0) throw_errno("mprotect");
      view_.emplace(image_.data(), image_.size(), "table image");
      return;
    }
    if (::access(table_file_.c_str(), F_OK) == 0) {
      image_ = map_table_file(table_file_);
    } else if (errno == ENOENT) {
      image_ = build_table_file(table_file_, dataset);
    } else {
      throw_errno("table file '" + table_file_ + "'");
    }
    view_.emplace(image_.data(), image_.size(), "table file '" + table_file_ + "'");
    if (view_->header().dataset_digest != dataset.digest()) {
      // check_options() compared keys and value size; what is left is their contents.
      const std::string differs = dataset_differences(dataset.facts(), view_->facts());
      throw another_dataset(differs.empty() ? "same keys and value size, other contents: built by another "
                                              "version of sharebench?"
                                            : differs);
    }
  }

  std::unique_ptr<Client> connect(int) override {
    if (!view_) throw Error("mmap-table: connect() before prepare()");
    return std::make_unique<MmapTableClient>(*view_);
  }

  void teardown() noexcept override {
    view_.reset();
    image_.reset();
  }

  std::uint64_t shared_bytes() const override { return image_.size(); }

 private:
  // Without the workload's name: two workloads may share one dataset (read and a get-only
  // zipfian read), and a table keeps no name.
  static DatasetFacts facts_of(const DatasetShape& d) { return {"", d.keys, d.max_value_size, d.counters}; }
  Error another_dataset(const std::string& differs) const {
    return Error("table file '" + table_file_ + "' was built from another dataset (this run's vs the file's: " +
                 differs + "): remove it or choose another --table-file");
  }

  std::string table_file_;
  Mapping image_;
  std::optional<TableView> view_;
};

}  // namespace

std::unique_ptr<Strategy> make_mmap_table_strategy(const StrategyOptions& options) {
  return std::make_unique<MmapTableStrategy>(options);
}

std::span<const OptionSpec> mmap_table_options() { return kOptions; }

}  // namespace sharebench
