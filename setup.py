"""Ship the built-in story inside the package, so a non-editable install plays it."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class build_py_with_story(build_py):
    def run(self):
        super().run()
        target = Path(self.build_lib) / "engine" / "builtin_story"
        for folder in ("story", "chapters"):
            if Path(folder).is_dir():
                shutil.copytree(folder, target / folder, dirs_exist_ok=True)


setup(cmdclass={"build_py": build_py_with_story})
