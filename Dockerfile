# The core of readiness (run, assess, gate, init, the exports and the HTML report) as an
# image for CI jobs: `docker run --rm -v "$PWD:/work" readiness gate bundle/assessment.json
# --policy whitepaper`. Multi-stage: the wheels are built in the first stage, the second
# holds only the installed packages and runs as an unprivileged user.
#
# Not built in this repository's CI (no container engine there); tests/test_container.py
# checks it statically: every path it copies exists, the entrypoint is the console script.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml requirements.lock README.md ./
COPY readiness ./readiness
COPY harness ./harness
COPY assessment ./assessment
COPY reports ./reports
COPY reference ./reference
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels . \
 && pip wheel --no-cache-dir --wheel-dir /wheels -c requirements.lock /wheels/readiness-*.whl

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 readiness
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels readiness && rm -rf /wheels
USER readiness
WORKDIR /work
ENV READINESS_HOME=/work/.readiness
ENTRYPOINT ["readiness"]
CMD ["--help"]
