"""Seeing inside: model summaries, plots, the HTML compile report, the JSON schema, the scoreboard.

Nothing here changes what the compiler does; these modules only read checkpoints, IR stages and
traces and present them (docs/report-schema.md for the JSON, docs/cli.md for the commands):
``inspect_view`` is what `w2c inspect` shows, ``test_file`` the pytest file of
`w2c compile --emit-tests`.
"""
