#include "strategies/shm_map/shm_map.hpp"

#include <boost/interprocess/shared_memory_object.hpp>

#include <optional>

#include "common/error.hpp"
#include "common/hash_table.hpp"
#include "strategies/shm_map/shm_table.hpp"

namespace sharebench {
namespace {

namespace bip = boost::interprocess;
using shm_map::Segment;
using shm_map::ShmTable;

class ShmMapClient final : public Client {
 public:
  // Enough independent lookups in flight to overlap their cache misses.
  static constexpr std::size_t kPreferredBatch = 16;

  ShmMapClient(const std::string& name, std::chrono::milliseconds lock_timeout) try
      : segment_(bip::open_only, name.c_str()), table_(ShmTable::open(segment_, lock_timeout)) {
  } catch (const bip::interprocess_exception& e) {
    throw Error("shm-map: cannot open segment '" + name + "': " + e.what());
  }

  // Overlaps the cache misses of the batch's lookups (apply_prefetched), then runs the
  // operations in order. They use a copy of the table's handle (pointers into the segment):
  // a get's copy into an Op's buffer could alias the member, whose fields the compiler would
  // then reload after every op.
  void execute(std::span<Op> ops) override {
    apply_prefetched(table_, ops.size(), [ops](std::size_t i) { return ops[i].key; },
                     [table = table_, ops](std::size_t i, std::uint64_t hash) mutable {
                       Op& op = ops[i];
                       // A test and a branch for the get, not a jump table's four instructions.
                       if (op.kind == OpKind::get) [[likely]] {
                         get_into(table, op, hash);
                       } else if (op.kind == OpKind::put) {
                         table.put_hashed(op.key, hash, op.value);
                       } else {
                         op.counter = table.add_hashed(op.key, hash, op.delta);
                       }
                     });
  }
  std::size_t preferred_batch() const override { return kPreferredBatch; }

 private:
  // Values up to this size are copied whole words at a time into the op's buffer, sized
  // once (a worker reuses its ops); a larger one by get_hashed().
  static constexpr std::size_t kCopyRoom = 256;
  static_assert(kCopyRoom % 16 == 0, "get_words() copies two whole words at a time");

  // Copied out under the seqlock: a writer may change the entry after.
  static void get_into(const ShmTable& table, Op& op, std::uint64_t hash) {
    if (op.buffer.size() < kCopyRoom) op.buffer.resize(kCopyRoom);
    std::size_t size = 0;
    switch (table.get_words(op.key, hash, op.buffer.data(), kCopyRoom, &size)) {
      case ShmTable::Lookup::found:
        op.found = true;
        op.result = std::string_view(op.buffer.data(), size);
        return;
      case ShmTable::Lookup::absent:
        op.found = false;
        op.result = {};
        return;
      case ShmTable::Lookup::slow:
        op.found = table.get_hashed(op.key, hash, op.buffer);
        op.result = op.buffer;
        return;
    }
  }

  Segment segment_;
  ShmTable table_;
};

// "auto" (the segment is sized from the dataset) or a size; the report shows it as given.
OptionValue parse_segment_size(std::string_view flag, std::string_view text) {
  if (text != "auto") parse_size(flag, text);
  return std::string(text);
}

constexpr OptionSpec kShmSize{"--shm-size", "SIZE", "segment size, e.g. 512M; auto sizes it from the dataset", "auto",
                              "shm_size", parse_segment_size};
constexpr OptionSpec kOptions[] = {kShmSize};

// The segment's bytes, 0 for auto.
std::uint64_t segment_bytes(const StrategyOptions& options) {
  const std::string size = options.text(kShmSize);
  return size == "auto" ? 0 : parse_size(kShmSize.flag, size);
}

class ShmMapStrategy final : public Strategy {
 public:
  explicit ShmMapStrategy(const StrategyOptions& options)
      : name_(options.object_prefix + "-shm-map"), size_(segment_bytes(options)), lock_timeout_(options.op_timeout) {}
  ~ShmMapStrategy() override { teardown(); }

  Capabilities capabilities() const override {
    return {.holds_data = true, .put = true, .add = true, .atomic_add = true};
  }

  std::vector<std::string> check_options(std::span<const DatasetShape> datasets) const override {
    for (const DatasetShape& d : datasets) {
      if (size_ == 0) continue;
      const std::uint64_t needed = shm_map::segment_size_for(d.keys, d.payload_bytes, d.counters);
      if (needed > size_) {
        throw Error("--shm-size " + std::to_string(size_) + " bytes is too small for the " + d.workload +
                    " workload: its " + std::to_string(d.keys) + " keys need about " + std::to_string(needed) +
                    " bytes");
      }
    }
    return {};
  }

  void prepare(const Dataset& dataset) override {
    const std::uint64_t keys = dataset.size() + dataset.counters().size();
    const std::uint64_t size = size_ != 0 ? size_
                                          : shm_map::segment_size_for(dataset.size(), dataset.payload_bytes(),
                                                                      dataset.counters().size());
    bip::permissions owner_only;
    owner_only.set_permissions(0600);
    try {
      segment_.emplace(bip::create_only, name_.c_str(), size, nullptr, owner_only);
    } catch (const bip::interprocess_exception& e) {
      throw Error("shm-map: cannot create a segment of " + std::to_string(size) + " bytes named '" + name_ +
                  "': " + e.what());
    }
    created_ = true;
    ShmTable table = ShmTable::create(*segment_, shm_map::slot_count_for(keys), lock_timeout_);
    for (std::size_t i = 0; i < dataset.size(); ++i) table.put(dataset.key(i), dataset.value(i));
    for (const std::string& counter : dataset.counters()) table.create_counter(counter);
  }

  std::unique_ptr<Client> connect(int) override {
    return std::make_unique<ShmMapClient>(name_, lock_timeout_);
  }

  void teardown() noexcept override {
    segment_.reset();
    if (created_) bip::shared_memory_object::remove(name_.c_str());
    created_ = false;
  }

  std::uint64_t shared_bytes() const override { return segment_ ? segment_->get_size() : 0; }

 private:
  std::string name_;
  std::uint64_t size_;
  std::chrono::milliseconds lock_timeout_;
  std::optional<Segment> segment_;
  bool created_ = false;
};

}  // namespace

std::unique_ptr<Strategy> make_shm_map_strategy(const StrategyOptions& options) {
  return std::make_unique<ShmMapStrategy>(options);
}

std::span<const OptionSpec> shm_map_options() { return kOptions; }

}  // namespace sharebench
