# docagent: the API, the Celery workers and the CLI in one image (compose.yaml runs it).
#
#   docker build -t docagent .                                  # CPU services
#   docker build -t docagent-gpu --build-arg EXTRAS=gpu .       # + vLLM, bitsandbytes
#   docker build --build-arg TORCH_SPEC="--index-url https://download.pytorch.org/whl/cpu torch torchvision" .
#
# TORCH_SPEC is passed to pip as is (torch's build for your platform: CPU-only, a CUDA version);
# EXTRAS names the project's extras (`gpu`, `train`, comma-separated), empty for none.
FROM python:3.11-slim-bookworm

ARG TORCH_SPEC="torch torchvision"
ARG EXTRAS=""

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DOCAGENT_HOME=/data \
    HF_HOME=/hf-cache

# Tesseract with Korean and English (OCR of scans), a Korean font (rendering), curl (healthcheck).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-kor tesseract-ocr-eng fonts-nanum fontconfig curl libgomp1 \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# torch first: the largest layer, and the one that changes least.
RUN if [ -n "$TORCH_SPEC" ]; then pip install $TORCH_SPEC; fi

# The dependencies, from pyproject.toml alone (empty packages and README stand in for the
# code), so that a change to the code does not install them again.
COPY pyproject.toml ./
RUN mkdir docagent indexing vlm workers \
 && touch README.md docagent/__init__.py indexing/__init__.py vlm/__init__.py workers/__init__.py \
 && pip install ".${EXTRAS:+[${EXTRAS}]}" \
 && pip uninstall -y docagent \
 && rm -rf README.md docagent indexing vlm workers build ./*.egg-info

# The code.
COPY README.md alembic.ini ./
COPY docagent ./docagent
COPY indexing ./indexing
COPY vlm ./vlm
COPY workers ./workers
RUN pip install --no-deps . && rm -rf build ./*.egg-info

# Run as a non-root user; /data (DOCAGENT_HOME) and /hf-cache (HF_HOME) are its own, so the
# named volumes mounted there start out owned by it.
RUN useradd --create-home --uid 1000 --shell /usr/sbin/nologin docagent \
 && mkdir -p /data /hf-cache \
 && chown docagent:docagent /data /hf-cache
USER docagent

EXPOSE 8000
ENTRYPOINT []
# The embedded default (API and a worker in one container); compose.yaml gives each
# service its own command.
CMD ["docagent", "serve", "--host", "0.0.0.0", "--port", "8000"]
