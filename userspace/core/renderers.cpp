// The Renderer interface over the formats' functions (render_text.cpp, render_json.cpp,
// render_prometheus.cpp): one object per format, so that callers pick a format and render through it.
#include <ostream>

#include "render.h"

namespace zctrace {
namespace {

class TextRenderer : public Renderer {
 public:
  void Render(const Report& report, const RenderContext& context, std::ostream& out) const override {
    RenderText(report, out, context.per_connection);
  }
};

class JsonRenderer : public Renderer {
 public:
  void Render(const Report& report, const RenderContext&, std::ostream& out) const override {
    RenderJson(report, out);
  }
};

class JsonLinesRenderer : public Renderer {
 public:
  void Render(const Report& report, const RenderContext& context, std::ostream& out) const override {
    out << JsonText(JsonLine(report, context.previous, context.elapsed_s, context.timestamp)) << "\n";
  }
};

class PrometheusRenderer : public Renderer {
 public:
  void Render(const Report& report, const RenderContext& context, std::ostream& out) const override {
    out << RenderPrometheus(report, context.pid_label);
  }
};

}  // namespace

const Renderer& RendererFor(Format format) {
  static const TextRenderer text;
  static const JsonRenderer json;
  static const JsonLinesRenderer json_lines;
  static const PrometheusRenderer prometheus;
  switch (format) {
    case Format::kText:
      return text;
    case Format::kJson:
      return json;
    case Format::kJsonLines:
      return json_lines;
    case Format::kPrometheus:
      return prometheus;
  }
  return text;
}

}  // namespace zctrace
