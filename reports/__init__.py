"""Report templates (jinja2, autoescaping on) and their static assets; installed as ``viubench.report_templates``."""
