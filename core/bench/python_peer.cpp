#include "core/bench/python_peer.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStringList>

namespace pl::core::bench {
namespace fs = std::filesystem;

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

Stats stats_from(const QJsonObject& o) {
  Stats s;
  s.runs = o.value("runs").toInt();
  s.median_ms = o.value("median_ms").toDouble();
  s.p90_ms = o.value("p90_ms").toDouble();
  s.min_ms = o.value("min_ms").toDouble();
  s.max_ms = o.value("max_ms").toDouble();
  s.mean_ms = o.value("mean_ms").toDouble();
  s.cpu_median_ms = o.value("cpu_median_ms").toDouble();  // process CPU time per run, all threads
  return s;
}

PeerReport unavailable(std::string reason) {
  PeerReport r;
  r.reason = std::move(reason);
  return r;
}

}  // namespace

void PeerOptions::validate() const {
  if (threads < 1) throw std::invalid_argument("PeerOptions.threads = " + std::to_string(threads) + ": must be >= 1");
  if (height < 32 || width < 32)
    throw std::invalid_argument("PeerOptions size = " + std::to_string(height) + "x" + std::to_string(width) +
                                ": both sides must be >= 32");
  timing.validate();
  if (dtypes.empty() || models.empty()) throw std::invalid_argument("PeerOptions: dtypes and models must not be empty");
  if (!(timeout_seconds > 0)) throw std::invalid_argument("PeerOptions.timeout_seconds must be > 0");
}

const PeerResult* PeerReport::find(const std::string& model, const std::string& dtype) const {
  for (const auto& r : results)
    if (r.model == model && r.dtype == dtype) return &r;
  return nullptr;
}

std::string locate_peer_script() {
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("POLYPLENS_PEER_SCRIPT"); env && *env) candidates.emplace_back(env);
#ifdef POLYPLENS_SOURCE_DIR
  candidates.emplace_back(fs::path(POLYPLENS_SOURCE_DIR) / "core/bench/peer_bench.py");
#endif
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/polyplens/peer_bench.py");
  for (const auto& c : candidates)
    if (fs::is_regular_file(c, ec)) return c.string();
  return {};
}

PeerReport parse_peer_json(const std::string& json) {
  QJsonParseError err;
  const auto doc = QJsonDocument::fromJson(QByteArray::fromStdString(json), &err);
  if (doc.isNull() || !doc.isObject())
    throw std::runtime_error("peer script output is not a JSON object: " + err.errorString().toStdString());
  const auto o = doc.object();
  PeerReport r;
  r.available = o.value("available").toBool();
  r.reason = o.value("reason").toString().toStdString();
  r.python_version = o.value("python").toString().toStdString();
  r.torch_version = o.value("torch").toString().toStdString();
  r.torchvision_version = o.value("torchvision").toString().toStdString();
  r.threads = o.value("threads").toInt();
  for (const auto& v : o.value("results").toArray()) {
    const auto e = v.toObject();
    PeerResult p{e.value("model").toString().toStdString(), e.value("dtype").toString().toStdString(),
                 e.value("mode").toString().toStdString(), stats_from(e)};
    if (p.model.empty() || p.stats.runs < 1 || !(p.stats.median_ms > 0))
      throw std::runtime_error("peer script result without model name or timings: " +
                               QJsonDocument(e).toJson(QJsonDocument::Compact).toStdString());
    r.results.push_back(std::move(p));
  }
  if (r.available && r.results.empty()) throw std::runtime_error("peer script reported no results");
  return r;
}

PeerReport run_python_peers(const PeerOptions& options) {
  options.validate();
  const std::string script = options.script.empty() ? locate_peer_script() : options.script;
  if (script.empty()) return unavailable("peer_bench.py not found (set POLYPLENS_PEER_SCRIPT)");
  std::error_code ec;
  if (!fs::is_regular_file(options.python, ec)) return unavailable("no Python at " + options.python);

  QProcess proc;
  const QStringList args{
      QString::fromStdString(script),
      "--threads", QString::number(options.threads),
      "--height", QString::number(options.height),
      "--width", QString::number(options.width),
      "--warmup", QString::number(options.timing.warmup),
      "--runs", QString::number(options.timing.runs),
      "--max-seconds", QString::number(options.timing.max_seconds),
      "--dtypes", QString::fromStdString(join(options.dtypes)),
      "--models", QString::fromStdString(join(options.models))};
  // The same OpenMP thread count as ours, whatever the parent's environment says.
  auto env = QProcessEnvironment::systemEnvironment();
  env.insert("OMP_NUM_THREADS", QString::number(options.threads));
  proc.setProcessEnvironment(env);
  proc.setProcessChannelMode(QProcess::SeparateChannels);
  proc.start(QString::fromStdString(options.python), args);
  if (!proc.waitForStarted(10000)) return unavailable("cannot start " + options.python + ": " + proc.errorString().toStdString());
  if (!proc.waitForFinished(int(options.timeout_seconds * 1000))) {
    proc.kill();
    proc.waitForFinished(5000);
    return unavailable("peer script timed out after " + std::to_string(int(options.timeout_seconds)) + " s");
  }
  const std::string out = proc.readAllStandardOutput().toStdString();
  if (proc.exitStatus() != QProcess::NormalExit || proc.exitCode() != 0) {
    std::string err = proc.readAllStandardError().toStdString();
    if (err.size() > 400) err = "..." + err.substr(err.size() - 400);
    return unavailable("peer script failed (exit " + std::to_string(proc.exitCode()) + "): " + err);
  }
  try {
    return parse_peer_json(out);
  } catch (const std::exception& e) {
    return unavailable(e.what());
  }
}

}  // namespace pl::core::bench
