import io

from insights.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_bar_and_a_log_gets_plain_lines():
    screen = Terminal()
    with Progress(screen).stage("crawl", "files", total=4) as advance:
        for _ in range(4):
            advance()
    assert "crawl: 4 files in " in screen.getvalue() and "started" not in screen.getvalue()
    log = io.StringIO()
    with Progress(log).stage("collect", "requests") as advance:
        advance(3)
    assert log.getvalue().splitlines()[0] == "collect: started"
    assert log.getvalue().splitlines()[1].startswith("collect: 3 requests in ")
    quiet = io.StringIO()
    with Progress(quiet, quiet=True).stage("crawl", "files") as advance:
        advance()
    assert quiet.getvalue() == ""


def test_the_bar_is_drawn_on_a_terminal():
    screen = Terminal()
    progress = Progress(screen)
    with progress.stage("crawl", "files", total=10) as advance:
        advance(5)  # the first update is drawn at once
    assert "crawl    [###############...............] 5/10 files" in screen.getvalue()
