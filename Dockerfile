# One image for the action server, the Rasa server and the Telegram bridge.
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 RASA_TELEMETRY_ENABLED=false \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2
COPY requirements.lock pyproject.toml ./
RUN pip install --no-cache-dir -r requirements.lock
COPY . .
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . \
    && rasa train --config config.yml --domain domain.yml --data data --out models \
       --fixed-model-name blether --quiet \
    && blether danger train --data data/nlu danger_data --out models/danger.joblib
RUN useradd --create-home blether && chown -R blether /app
USER blether
