"""Optional components: the heavy Python stacks behind speakers, insights and the summary, installed on demand.

The frozen CPU build ships lean (the transcript needs no torch). When a user turns a feature on, the app
downloads the exact wheels its build was locked to (`components.lock.json`, written by `rtstt.spec`),
checks their hashes, installs them into the user data folder and puts that folder on `sys.path`. Running
from source, pip and the `rtstt[...]` extras do the same job, so there is no lock and nothing to do here.
"""
