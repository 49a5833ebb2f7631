"""The baseline for the policy benchmark: a WSGI app that answers every
request with a fixed small JSON body, served by the same web server setup. What
it reaches is the ceiling that the HTTP server and the load generator leave."""

BODY = b'{"ok":true}'


def application(environ, start_response):
    if environ.get("CONTENT_LENGTH"):
        environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))]
    )
    return [BODY]
