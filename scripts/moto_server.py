"""Start the moto server on 127.0.0.1 at a free port, print {"port": N}, and
stop when stdin closes (the parent exited) or on SIGTERM."""
import json
import signal
import sys

from moto.securityhub import models as securityhub
from moto.securityhub.exceptions import InvalidInputException
from moto.server import ThreadedMotoServer


def batch_import_findings(self, findings):
    """moto's BatchImportFindings, with an Id index instead of a linear scan
    of every stored finding per imported finding (quadratic: minutes at fleet
    scale, which would make the benchmarks measure the emulator). Same
    validation, same update-or-append, same failure entries."""
    index = getattr(self, "_influxguard_index", None)
    if index is None or len(index) != len(self.findings):
        index = self._influxguard_index = {f.id: f for f in self.findings}
    failures = []
    for data in findings:
        try:
            if not isinstance(data["Resources"], list) or len(data["Resources"]) == 0:
                raise InvalidInputException(op="BatchImportFindings", msg="Finding must contain at least one resource in the Resources array")
            existing = index.get(data["Id"])
            if existing:
                existing.data.update(data)
            else:
                index[data["Id"]] = finding = securityhub.Finding(data["Id"], data)
                self.findings.append(finding)
        except Exception as e:
            failures.append({"Id": data.get("Id", ""), "ErrorCode": "InvalidInput", "ErrorMessage": str(e)})
    return len(failures), len(findings) - len(failures), failures


securityhub.SecurityHubBackend.batch_import_findings = batch_import_findings

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(json.dumps({"port": server._server.server_port}), flush=True)


def stop(*_):
    server.stop()
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
sys.stdin.read()
stop()
