"""The rules, pure: nothing here imports the project, telegram, sqlalchemy or babel."""
