"""Interop test with a third-party client: Python grpcio, stubs generated from proto/ by
grpcio-tools. Starts the pomost binary on a free port with a fresh data directory, then
calls health, reflection, UpsertParticipant, UpsertOffer and Shortlist and checks the
answers. Usage: python3 tests/interop/interop.py PATH_TO_POMOST_BINARY
"""

import os
import socket
import subprocess
import sys
import tempfile
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_tools import protoc

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS = {"passed": 0, "failed": 0}


def check(name, condition, detail=""):
    if condition:
        RESULTS["passed"] += 1
        print(f"ok   {name}")
    else:
        RESULTS["failed"] += 1
        print(f"FAIL {name} {detail}")


def generate_stubs(out_dir):
    proto_dir = os.path.join(ROOT, "proto")
    files = [os.path.join("pomost", "v1", name) for name in ("types.proto", "offers.proto", "participants.proto", "matching.proto", "vocabulary.proto")]
    code = protoc.main(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", *files])
    if code != 0:
        raise SystemExit(f"grpc_tools.protoc failed with {code}")
    sys.path.insert(0, out_dir)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            reply = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return True
        except grpc.RpcError:
            pass
        time.sleep(0.1)
    return False


def main():
    binary = sys.argv[1]
    stubs = tempfile.mkdtemp(prefix="pomost-stubs-")
    generate_stubs(stubs)
    from pomost.v1 import matching_pb2, matching_pb2_grpc, offers_pb2, offers_pb2_grpc
    from pomost.v1 import participants_pb2_grpc, types_pb2, vocabulary_pb2, vocabulary_pb2_grpc

    data_dir = tempfile.mkdtemp(prefix="pomost-interop-")
    port = free_port()
    server = subprocess.Popen(
        [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        check("health goes SERVING", wait_serving(channel))

        reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
        replies = reflection.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = [service.name for reply in replies for service in reply.list_services_response.service]
        check("reflection lists MatchingService", "pomost.v1.MatchingService" in names, names)

        participants = participants_pb2_grpc.ParticipantServiceStub(channel)
        for index in range(5):
            person = types_pb2.Participant(
                id=f"py-{index}",
                unit=types_pb2.UNIT_KIND_CIS,
                unit_id="cis-krakow",
                skills=[types_pb2.SkillClaim(skill="pl:sprzatanie-biur", level=2)],
                stage=types_pb2.STAGE_SUPPORTED_OPEN_MARKET,
                home=types_pb2.Location(teryt="1261", lat=50.06 + index * 0.01, lon=19.94),
                max_commute_km=20,
                available_hours_per_week=40,
                registered_since="2025-01-15",
                consent_to_matching=True,
            )
            reply = participants.UpsertParticipant(person)
            check(f"participant py-{index} written", reply.outcome == types_pb2.WRITE_OUTCOME_WRITTEN)

        offers = offers_pb2_grpc.OfferServiceStub(channel)
        offer = types_pb2.Offer(
            key=types_pb2.OfferKey(source="python", external_id="krk-1"),
            version=1,
            employer_name="Spółdzielnia Socjalna Czysty Dom",
            title="Sprzątanie biur",
            occupation_code="911207",
            required_skills=[types_pb2.SkillRequirement(skill="pl:sprzatanie-biur", weight=1)],
            on_site=types_pb2.Location(teryt="1261", lat=50.06, lon=19.94),
            weekly_hours=35,
            daily_hours=7,
            contract_type=types_pb2.CONTRACT_TYPE_EMPLOYMENT_CONTRACT,
            positions=2,
            valid_from="2026-11-01",
            valid_until="2026-12-31",
            min_stage=types_pb2.STAGE_SHELTERED_EMPLOYMENT,
        )
        reply = offers.UpsertOffer(offers_pb2.UpsertOfferRequest(offer=offer))
        check("offer written", reply.outcome == types_pb2.WRITE_OUTCOME_WRITTEN)

        bad = types_pb2.Offer()
        bad.CopyFrom(offer)
        bad.weekly_hours = 90
        try:
            offers.UpsertOffer(offers_pb2.UpsertOfferRequest(offer=bad))
            check("invalid offer refused", False, "no error")
        except grpc.RpcError as error:
            check(
                "invalid offer refused with the field",
                error.code() == grpc.StatusCode.INVALID_ARGUMENT and error.details() == "offer.weekly_hours: 90 is over 84",
                f"{error.code()} {error.details()}",
            )

        matching = matching_pb2_grpc.MatchingServiceStub(channel)
        shortlist = matching.Shortlist(
            matching_pb2.ShortlistRequest(offer_key=offer.key, k=3, as_of="2026-11-24")
        )
        ids = [candidate.participant_id for candidate in shortlist.candidates]
        check("shortlist returns three candidates", len(ids) == 3, ids)
        check("candidates are the registered people", all(identifier.startswith("py-") for identifier in ids), ids)
        check("ranked best first", ids == ["py-0", "py-1", "py-2"], ids)
        check("every factor explained", all(len(candidate.factors) == 8 for candidate in shortlist.candidates))
        check("audited with a request id", len(shortlist.request_id) == 36, shortlist.request_id)
        check("policy named", shortlist.policy_version == "2026-11.3", shortlist.policy_version)

        vocabulary = vocabulary_pb2_grpc.VocabularyServiceStub(channel)
        suggested = vocabulary.SuggestOccupations(
            vocabulary_pb2.SuggestOccupationsRequest(text="Kelnerka\nObsługa gości restauracji, przyjmowanie zamówień", k=3)
        )
        codes = [suggestion.code for suggestion in suggested.suggestions]
        check("occupations suggested from Polish text", len(codes) == 3 and codes[0].startswith("5131"), codes)
        terms = vocabulary.SuggestTerms(vocabulary_pb2.SuggestTermsRequest(prefix="magazy", k=5))
        check("typeahead finds terms", any("agazyn" in term.label for term in terms.terms), [t.label for t in terms.terms])
    finally:
        server.terminate()
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = None
    check("SIGTERM drains and exits cleanly", code == 0, code)
    print(f"interop: {RESULTS['passed']} passed, {RESULTS['failed']} failed")
    return 1 if RESULTS["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
