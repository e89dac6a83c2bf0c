"""Publication figures and tables, drawn from the lakehouse alone (stage ``figures``).

``data`` queries the lakehouse, ``plots`` draws one figure family per module, ``tables``
writes LaTeX and Markdown, ``write`` puts it all under ``reports/`` atomically.
"""
