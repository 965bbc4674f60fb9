"""The Telegram bridge: python-telegram-bot in front, Rasa's REST channel behind."""
