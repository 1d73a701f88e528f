# studybot: a small image with the bot, its content and nothing else.
# The database lives on the /data volume; mount your own content over /app/content to replace it.

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STUDYBOT_DATABASE=/data/studybot.db \
    STUDYBOT_CONTENT_DIR=/app/content \
    STUDYBOT_HTTP_PORT=3000
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin studybot \
    && mkdir -p /data /app \
    && chown studybot:studybot /data
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
COPY content /app/content
USER 10001:10001
WORKDIR /app
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["studybot", "health"]
ENTRYPOINT ["studybot"]
CMD ["run"]
