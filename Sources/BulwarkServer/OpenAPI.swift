/// The OpenAPI 3.1 document served at `/openapi.json`. Kept next to the routes it describes;
/// the tests check that every route is in it.
enum OpenAPIDocument {
    static let json = #"""
        {
          "openapi": "3.1.0",
          "info": {
            "title": "Bulwark",
            "version": "1",
            "description": "Terrorist and violent-extremist content detection and review. Every /v1 route needs an API key (Authorization: Bearer KEY) whose role the route admits: 401 without a valid key, 403 with a key of another role."
          },
          "servers": [{"url": "/"}],
          "components": {
            "securitySchemes": {"key": {"type": "http", "scheme": "bearer"}},
            "schemas": {
              "WebhookItem": {
                "type": "object", "additionalProperties": false, "required": ["platform", "id"],
                "properties": {"platform": {"type": "string"}, "id": {"type": "string", "description": "The platform's own id of the item."}}
              },
              "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {
                  "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                      "code": {"type": "string"},
                      "message": {"type": "string"},
                      "field": {"type": "string"},
                      "limit": {"type": "integer"},
                      "depth": {"type": "integer", "description": "503 overloaded: the background queue's depth (limit is its bound)"},
                      "offset": {"type": "integer", "description": "400 for a body that is not valid JSON (RFC 8259) or holds \\u0000: the byte offset where it goes wrong (the message adds line and column)"}
                    }
                  }
                }
              },
              "Appeal": {
                "type": "object",
                "required": ["id", "decision_id", "case_id", "appellant", "reason", "status", "filed_at", "deadline_at", "overdue"],
                "properties": {
                  "id": {"type": "integer"}, "decision_id": {"type": "integer"}, "case_id": {"type": "integer"},
                  "item_id": {"type": ["integer", "null"]}, "appellant": {"type": "string"}, "reason": {"type": "string"},
                  "status": {"type": "string", "enum": ["open", "upheld", "reversed"]},
                  "filed_at": {"type": "integer"}, "deadline_at": {"type": "integer"}, "seconds_left": {"type": ["integer", "null"]},
                  "overdue": {"type": "boolean"}, "decided_by": {"type": ["string", "null"]}, "decided_at": {"type": ["integer", "null"]},
                  "exemption": {"type": ["string", "null"]}, "note": {"type": ["string", "null"]},
                  "reinstatement_decision_id": {"type": ["integer", "null"]}, "delivery_id": {"type": ["string", "null"]}
                }
              },
              "Referral": {
                "type": "object",
                "required": ["id", "item_id", "authority", "grounds", "referred_by", "referred_at", "delivery_id"],
                "properties": {
                  "id": {"type": "integer"}, "item_id": {"type": "integer"}, "authority": {"type": "string"},
                  "member_state": {"type": ["string", "null"]}, "grounds": {"type": "string"},
                  "referred_by": {"type": "string"}, "referred_at": {"type": "integer"}, "delivery_id": {"type": "string"},
                  "item": {"type": "object", "required": ["id", "platform", "external_id", "text", "language", "decision", "score", "received_at"]}
                }
              },
              "RemovalOrder": {
                "type": "object",
                "required": ["id", "authority", "reference", "received_at", "status", "clock", "targets", "pending_deliveries"],
                "properties": {
                  "id": {"type": "integer"}, "authority": {"type": "string"}, "reference": {"type": "string"},
                  "legal_basis": {"type": "string"}, "reasons": {"type": "string"}, "category": {"type": ["string", "null"]},
                  "issued_at": {"type": ["integer", "null"]}, "received_at": {"type": "integer"},
                  "actioned_at": {"type": ["integer", "null"]}, "confirmed_at": {"type": ["integer", "null"]},
                  "pending_deliveries": {"type": "integer"},
                  "status": {"type": "string", "enum": ["actioned", "confirmed", "partially_confirmed", "not_executable"]},
                  "clock": {"type": "object", "required": ["deadline_at", "state", "alert"], "properties": {
                    "deadline_at": {"type": "integer"}, "seconds_left": {"type": ["integer", "null"]},
                    "state": {"type": "string", "enum": ["running", "due_soon", "overdue", "met_in_time", "met_late", "answered"]},
                    "alert": {"type": "boolean"}}},
                  "targets": {"type": "array", "items": {"type": "object", "required": ["executed"], "properties": {
                    "platform": {"type": ["string", "null"]}, "id": {"type": ["string", "null"]}, "url": {"type": ["string", "null"]},
                    "executed": {"type": "boolean"}, "item_id": {"type": ["integer", "null"]}, "decision_id": {"type": ["integer", "null"]},
                    "delivery_id": {"type": ["string", "null"]}, "reason_not_executed": {"type": ["string", "null"]}}}}
                }
              },
              "Item": {
                "type": "object",
                "required": ["id", "text"],
                "properties": {
                  "platform": {"type": "string", "minLength": 1, "maxLength": 128, "description": "Defaults to the API key's name."},
                  "id": {"type": "string", "minLength": 1, "maxLength": 256, "description": "The platform's id; (platform, id) is idempotent."},
                  "type": {"type": "string", "enum": ["post", "comment", "message", "profile", "title"]},
                  "text": {"type": "string", "description": "At most 65,536 UTF-8 bytes by default."},
                  "urls": {"type": "array", "items": {"type": "string"}},
                  "lang": {"type": "string"},
                  "author": {"type": "string", "description": "Pseudonymous author id."},
                  "author_avatar_pdq": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "The author's avatar as a PDQ hash: re-appearance evidence."},
                  "container": {
                    "type": "object",
                    "properties": {
                      "id": {"type": "string"},
                      "title": {"type": "string", "description": "Names the container entity."},
                      "kind": {"type": "string", "enum": ["page", "group", "channel", "room", "thread"], "description": "What the container is; a container first seen without a kind is a room."},
                      "avatar_pdq": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$", "description": "The container's avatar as a PDQ hash: re-appearance evidence."},
                      "followers": {"type": "integer", "minimum": 0, "maximum": 10000000000},
                      "members": {"type": "integer", "minimum": 0, "maximum": 10000000000}
                    }
                  },
                  "media": {
                    "type": "array",
                    "maxItems": 4,
                    "items": {
                      "type": "object",
                      "description": "A media part: its bytes (data), which Bulwark hashes (PDQ for the images it decodes, and for a video's frames, one a second; MD5 and SHA-256 for any part), or the hashes the platform computed itself (md5, sha256, pdq with pdq_quality, and frames: the PDQ hashes of later frames, a video's keyframes say, each matched too), for a part it does not send; not both.",
                      "oneOf": [{"required": ["data"]}, {"anyOf": [{"required": ["md5"]}, {"required": ["sha256"]}, {"required": ["pdq"]}, {"required": ["vpdq"]}]}],
                      "properties": {
                        "data": {"type": "string", "contentEncoding": "base64", "minLength": 4},
                        "content_type": {"type": "string"},
                        "md5": {"type": "string", "pattern": "^[0-9a-fA-F]{32}$"},
                        "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                        "pdq": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                        "pdq_quality": {"type": "integer", "minimum": 0, "maximum": 100},
                        "vpdq": {"type": "string", "maxLength": 1048576, "description": "A video's vPDQ hash as HMA holds it, a JSON array of \"hex,quality,seconds\" strings as text, in place of pdq, pdq_quality and frames: its first frame is the part's PDQ hash, its later frames that show another picture (more than 8 bits from every one kept) its frames, at most 100; matched against vPDQ entries and each frame against PDQ ones."},
                        "frames": {
                          "type": "array",
                          "maxItems": 100,
                          "description": "With pdq (the first frame's) only: later frames' PDQ hashes; a bank match names the frame.",
                          "items": {
                            "type": "object",
                            "required": ["pdq", "quality"],
                            "properties": {
                              "pdq": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
                              "quality": {"type": "integer", "minimum": 0, "maximum": 100},
                              "frame": {"type": "integer", "minimum": 1, "description": "The frame's number; by default its place in the list (1, 2, ...)."},
                              "second": {"type": "integer", "minimum": 0, "maximum": 604800, "description": "A video frame's time from the start, in whole seconds; a bank match names it beside the frame."}
                            }
                          }
                        }
                      }
                    }
                  },
                  "posted_at": {"type": "integer", "minimum": 0, "maximum": 253402300799, "description": "Unix seconds (1970 to the end of 9999)."}
                }
              },
              "Verdict": {
                "type": "object",
                "required": ["id", "decision", "score", "categories", "language", "evidence"],
                "properties": {
                  "id": {"type": "string"},
                  "decision": {"type": "string", "enum": ["violating", "review", "none"]},
                  "score": {"type": "number"},
                  "categories": {"type": "array", "items": {"type": "object", "required": ["name", "score"], "properties": {"name": {"type": "string", "enum": ["incitement", "solicitation", "recruitment", "instruction", "threat", "dissemination"]}, "score": {"type": "number"}}}},
                  "context": {"type": ["string", "null"], "enum": ["news", "research", "counter_speech", "artistic", "religious", null]},
                  "language": {"type": "string"},
                  "evidence": {"type": "array", "items": {"$ref": "#/components/schemas/Evidence"}}
                }
              },
              "Evidence": {
                "type": "object",
                "required": ["kind", "detail"],
                "description": "Why: a lexicon entry (indicator), a known text or near-duplicate, a listed URL or domain, the classifier's score, a word the classifier's violating score rests on (term: 'raised violating: WORD (38%)'), a non-violating context and its cues, the sentence encoder's score and nearest exemplar (semantic, with --model full).",
                "properties": {
                  "kind": {"type": "string", "enum": ["indicator", "known_text", "near_duplicate", "url", "domain", "classifier", "context", "term", "semantic"]},
                  "detail": {"type": "string"},
                  "start": {"type": ["integer", "null"], "description": "The span's first character in the original text, counted in Unicode scalars; null or absent for evidence about the whole item."},
                  "end": {"type": ["integer", "null"], "description": "One past the span's last character, in Unicode scalars."}
                }
              },
              "IngestResult": {
                "type": "object",
                "required": ["items"],
                "properties": {
                  "items": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": ["id", "item_id", "created", "case_id", "verdict"],
                      "properties": {
                        "id": {"type": "string"},
                        "item_id": {"type": "integer"},
                        "created": {"type": "boolean"},
                        "case_id": {"type": ["integer", "null"]},
                        "verdict": {"$ref": "#/components/schemas/Verdict"}
                      }
                    }
                  }
                }
              },
              "Case": {
                "type": "object",
                "required": ["id", "subject", "source", "status", "priority", "user_reports", "trusted_reports", "created_at"],
                "properties": {
                  "id": {"type": "integer"},
                  "subject": {"type": "string", "enum": ["item", "entity"], "description": "An item case has item_id, an entity case entity_id."},
                  "item_id": {"type": "integer"},
                  "entity_id": {"type": "integer"},
                  "external_id": {"type": "string"},
                  "source": {"type": "string", "enum": ["proactive", "user_report", "trusted_flagger", "removal_order"]},
                  "status": {"type": "string", "enum": ["open", "claimed", "decided", "escalated"]},
                  "priority": {"type": "number"},
                  "category": {"type": "string"},
                  "language": {"type": "string"},
                  "user_reports": {"type": "integer"},
                  "trusted_reports": {"type": "integer"},
                  "claimed_by": {"type": "string"},
                  "claim_until": {"type": "integer"},
                  "created_at": {"type": "integer"},
                  "open_copies": {"type": "integer", "description": "In GET /v1/cases: how many open cases hold a copy of this case's text (absent: none)."}
                }
              },
              "RiskPart": {
                "type": "object",
                "required": ["name", "value", "detail"],
                "properties": {"name": {"type": "string"}, "value": {"type": "number"}, "detail": {"type": "string"}}
              },
              "Entity": {
                "type": "object",
                "required": ["id", "platform", "kind", "external_id", "status", "risk", "items", "violating", "review", "reach", "top_parts", "first_seen", "last_seen"],
                "properties": {
                  "id": {"type": "integer"},
                  "platform": {"type": "string"},
                  "kind": {"type": "string", "enum": ["account", "page", "group", "channel", "room", "thread"]},
                  "external_id": {"type": "string"},
                  "name": {"type": "string"},
                  "status": {"type": "string", "enum": ["active", "restricted", "suspended", "removed"]},
                  "risk": {"type": "number", "minimum": 0, "maximum": 100},
                  "items": {"type": "integer"},
                  "violating": {"type": "integer"},
                  "review": {"type": "integer"},
                  "reach": {"type": "integer"},
                  "reappearance_of": {"type": "integer", "description": "The banned entity this one resembles."},
                  "top_parts": {"type": "array", "maxItems": 3, "items": {"$ref": "#/components/schemas/RiskPart"}},
                  "first_seen": {"type": "integer"},
                  "last_seen": {"type": "integer"}
                }
              },
              "EntityItem": {
                "type": "object",
                "required": ["item_id", "id", "text", "decision", "score", "received_at"],
                "properties": {
                  "item_id": {"type": "integer"}, "id": {"type": "string"}, "type": {"type": "string"}, "text": {"type": "string"},
                  "decision": {"type": "string", "enum": ["violating", "review", "none"]}, "score": {"type": "number"},
                  "posted_at": {"type": "integer"}, "received_at": {"type": "integer"}
                }
              },
              "DecisionResult": {
                "type": "object",
                "required": ["decision_id", "case_id", "action", "delivery_id"],
                "properties": {
                  "decision_id": {"type": "integer"}, "case_id": {"type": "integer"}, "action": {"type": "string"},
                  "delivery_id": {"type": ["string", "null"]},
                  "entity_id": {"type": "integer", "description": "For an entity decision."},
                  "status": {"type": "string", "enum": ["active", "restricted", "suspended", "removed"], "description": "The entity's status after an entity decision."},
                  "copies": {"type": "object", "required": ["decided", "skipped", "more"], "description": "With `copies: true`: the open copies of the case's text decided with it (at most 1,000), those left open and why, and whether more remain.", "properties": {
                    "decided": {"type": "array", "items": {"type": "object", "required": ["case_id", "decision_id"], "properties": {"case_id": {"type": "integer"}, "decision_id": {"type": "integer"}}}},
                    "skipped": {"type": "array", "items": {"type": "object", "required": ["case_id", "reason"], "properties": {"case_id": {"type": "integer"}, "reason": {"type": "string"}}}},
                    "more": {"type": "boolean"}}}
                }
              },
              "BankEntries": {
                "type": "object", "required": ["type", "values"],
                "properties": {
                  "type": {"type": "string", "description": "pdq, md5, sha256 or vpdq (each value HMA's JSON array of \"hex,quality,seconds\" strings, at most 10,000 frames and 1 MiB)"},
                  "values": {"type": "array", "maxItems": 10000, "items": {"type": "string"}},
                  "labels": {"type": "array", "items": {"type": "string"}}, "source": {"type": "string"}
                }
              },
              "Report": {
                "type": "object",
                "required": ["id", "status", "created_at"],
                "properties": {
                  "id": {"type": "integer"},
                  "status": {"type": "string"},
                  "case_id": {"type": "integer"},
                  "duplicate": {"type": "boolean"},
                  "created_at": {"type": "integer"}
                }
              }
            },
            "responses": {
              "Error": {"description": "An error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            },
            "parameters": {
              "id": {"name": "id", "in": "path", "required": true, "schema": {"type": "integer", "minimum": 1}}
            }
          },
          "security": [{"key": []}],
          "webhooks": {
            "decision": {
              "post": {
                "summary": "A decision on an item, for the platform to carry out: by a reviewer, by a removal order (with `removal_order`) or by an appeal's reinstatement (with `appeal`). Headers: Bulwark-Event (the event), Bulwark-Delivery (the same on every attempt: drop duplicates), Bulwark-Attempt, Bulwark-Signature: t=TIMESTAMP,v1=HEX, the HMAC-SHA256 of \"TIMESTAMP.BODY\" with each active secret (two during a rotation); check one matches and the timestamp is within 5 minutes. A 2xx answer acknowledges; anything else is tried again, 10 attempts at most.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "additionalProperties": false,
                  "required": ["event", "decision_id", "case_id", "item", "action", "category", "exemption", "countries", "reviewer", "decided_at"],
                  "properties": {
                    "event": {"const": "decision"},
                    "decision_id": {"type": "integer"}, "case_id": {"type": "integer"},
                    "item": {"$ref": "#/components/schemas/WebhookItem"},
                    "action": {"enum": ["remove", "restrict_visibility", "geo_block", "no_violation", "escalate", "reinstate"]},
                    "category": {"enum": ["incitement", "solicitation", "recruitment", "instruction", "threat", "dissemination", null]},
                    "exemption": {"type": ["string", "null"]},
                    "countries": {"type": ["array", "null"], "minItems": 1, "items": {"type": "string", "pattern": "^[A-Z]{2}$"}, "description": "Where the platform applies the decision (a geo-block's, a regional restriction's EU/EEA countries); null: everywhere."},
                    "reviewer": {"type": "string"},
                    "decided_at": {"type": "integer"},
                    "removal_order": {
                      "type": "object", "additionalProperties": false, "required": ["id", "authority", "reference", "deadline_at"],
                      "properties": {"id": {"type": "integer"}, "authority": {"type": "string"}, "reference": {"type": "string"}, "deadline_at": {"type": "integer", "description": "The one-hour deadline (TCO Article 3(3))."}}
                    },
                    "appeal": {"type": "object", "additionalProperties": false, "required": ["id"], "properties": {"id": {"type": "integer"}}}
                  }}}}},
                "responses": {"200": {"description": "Received (any 2xx)"}}
              }
            },
            "entity_decision": {
              "post": {
                "summary": "A decision on an account or container (suspend an account, remove a room, ...), with its evidence; an appeal's reinstatement carries `appeal`. Headers as for `decision`.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "additionalProperties": false,
                  "required": ["event", "decision_id", "case_id", "entity", "action", "category", "reviewer", "decided_at", "evidence"],
                  "properties": {
                    "event": {"const": "entity_decision"},
                    "decision_id": {"type": "integer"}, "case_id": {"type": "integer"},
                    "entity": {
                      "type": "object", "additionalProperties": false, "required": ["platform", "kind", "id", "status"],
                      "properties": {
                        "platform": {"type": "string"}, "id": {"type": "string"},
                        "kind": {"enum": ["account", "page", "group", "channel", "room", "thread"]},
                        "status": {"enum": ["active", "restricted", "suspended", "removed"]}
                      }
                    },
                    "action": {"enum": ["remove", "restrict_visibility", "suspend", "no_violation", "escalate", "reinstate"]},
                    "category": {"enum": ["incitement", "solicitation", "recruitment", "instruction", "threat", "dissemination", null]},
                    "reviewer": {"type": "string"},
                    "decided_at": {"type": "integer"},
                    "evidence": {
                      "type": "object", "additionalProperties": false, "required": ["items", "risk", "reappearance"],
                      "properties": {
                        "items": {"type": "array", "maxItems": 100, "items": {"type": "string"}, "description": "Platform ids of its violating and review items, most recent first."},
                        "risk": {"type": "number", "minimum": 0, "maximum": 100},
                        "reappearance": {"type": ["string", "null"], "description": "What banned entity it resembles, and why."}
                      }
                    },
                    "appeal": {"type": "object", "additionalProperties": false, "required": ["id"], "properties": {"id": {"type": "integer"}}}
                  }}}}},
                "responses": {"200": {"description": "Received (any 2xx)"}}
              }
            },
            "referral": {
              "post": {
                "summary": "A lead's referral of an item to law enforcement (imminent threat to life; TCO Article 14(5)), for the platform to transmit to the authority. Headers as for `decision`.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "additionalProperties": false,
                  "required": ["event", "referral_id", "item", "authority", "member_state", "grounds", "referred_by", "referred_at"],
                  "properties": {
                    "event": {"const": "referral"},
                    "referral_id": {"type": "integer"},
                    "item": {"$ref": "#/components/schemas/WebhookItem"},
                    "authority": {"type": "string"},
                    "member_state": {"type": ["string", "null"], "pattern": "^[A-Z]{2}$", "description": "null: not identifiable (then Europol)."},
                    "grounds": {"type": "string"},
                    "referred_by": {"type": "string"},
                    "referred_at": {"type": "integer"}
                  }}}}},
                "responses": {"200": {"description": "Received (any 2xx)"}}
              }
            }
          },
          "paths": {
            "/healthz": {"get": {"security": [], "responses": {"200": {"description": "Alive", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/readyz": {"get": {"security": [], "responses": {"200": {"description": "The database answers and the index of removed texts is read", "content": {"text/plain": {"schema": {"type": "string"}}}}, "503": {"description": "The index of removed texts is still being read (Retry-After: 1)", "content": {"text/plain": {"schema": {"type": "string"}}}}, "500": {"$ref": "#/components/responses/Error"}}}},
            "/metrics": {"get": {"security": [], "responses": {"200": {"description": "Prometheus text exposition", "content": {"text/plain": {"schema": {"type": "string"}}}}}}},
            "/openapi.json": {"get": {"security": [], "responses": {"200": {"description": "This document", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
            "/v1/items": {
              "post": {
                "summary": "Send items (one, or {\"items\": [...]} up to 1,000): scanned at once, verdicts in the response. Roles: ingest, admin. When the background queue is at its bound (back-pressure) the answer is 503 with Retry-After and nothing is stored: send the same items again later.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"oneOf": [
                  {"$ref": "#/components/schemas/Item"},
                  {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "maxItems": 1000, "items": {"$ref": "#/components/schemas/Item"}}}}
                ]}}}},
                "responses": {
                  "200": {"description": "Verdicts, in order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/IngestResult"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"},
                  "503": {
                    "description": "Overloaded: the background queue is at its bound (error code overloaded, with depth and limit). Nothing was stored.",
                    "headers": {"Retry-After": {"description": "Seconds to wait before sending again", "schema": {"type": "integer"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
                  }
                }
              }
            },
            "/v1/items/{id}": {
              "get": {
                "summary": "Where an item stands, by the platform's id: `standing` after every decision on it (the latest removal, restriction or geo-block; `active` with none, or after `no_violation` or a reinstatement), the stored verdict, its case (null: none was opened) and the decisions, oldest first. For a platform reconciling its state without replaying webhooks. Roles: ingest, reviewer, lead, admin, auditor.",
                "parameters": [
                  {"name": "id", "in": "path", "required": true, "description": "The platform's id of the item, percent-encoded (a `/` as %2F).", "schema": {"type": "string", "minLength": 1, "maxLength": 256}},
                  {"name": "platform", "in": "query", "description": "The platform that sent it; the key's name when left out (as when sending items).", "schema": {"type": "string", "minLength": 1, "maxLength": 128}}
                ],
                "responses": {
                  "200": {"description": "The item's state", "content": {"application/json": {"schema": {"type": "object", "required": ["item_id", "platform", "id", "received_at", "standing", "verdict", "case", "decisions"], "properties": {
                    "item_id": {"type": "integer"}, "platform": {"type": "string"}, "id": {"type": "string"}, "received_at": {"type": "integer"},
                    "standing": {"type": "string", "enum": ["active", "removed", "visibility_restricted", "geo_blocked"]},
                    "verdict": {"$ref": "#/components/schemas/Verdict"},
                    "case": {"oneOf": [{"$ref": "#/components/schemas/Case"}, {"type": "null"}]},
                    "decisions": {"type": "array", "items": {"type": "object"}}
                  }}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/reports": {
              "post": {
                "summary": "Report an item. A second report of one item by one reporter is merged into the first. Roles: ingest, admin.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["item_id", "reporter", "reason"],
                  "properties": {
                    "platform": {"type": "string"}, "item_id": {"type": "string"}, "text": {"type": "string"},
                    "reporter": {"type": "string", "minLength": 1, "maxLength": 256}, "trusted_flagger": {"type": "boolean"},
                    "reason": {"type": "string"}, "note": {"type": "string"}
                  }}}}},
                "responses": {
                  "201": {"description": "Recorded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}},
                  "200": {"description": "Already reported by this reporter", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/reports/{id}": {
              "get": {
                "summary": "A report's status.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "The report", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/cases": {
              "get": {
                "summary": "The review queue, highest priority first. Roles: reviewer, lead, admin, auditor.",
                "parameters": [
                  {"name": "queue", "in": "query", "schema": {"type": "string", "enum": ["proactive", "user_report", "trusted_flagger", "removal_order"]}},
                  {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "claimed", "decided", "escalated"]}},
                  {"name": "category", "in": "query", "schema": {"type": "string", "enum": ["incitement", "solicitation", "recruitment", "instruction", "threat", "dissemination"]}},
                  {"name": "language", "in": "query", "schema": {"type": "string", "minLength": 1, "maxLength": 16}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                  "200": {"description": "Cases", "content": {"application/json": {"schema": {"type": "object", "required": ["cases"], "properties": {"cases": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/cases/{id}": {
              "get": {
                "summary": "A case: item, verdict with evidence, reports, decisions, the parts of its priority, and the open copies of its text (`open_copies`: cases of the same normalised text, 40 bytes or more, without media; at most 1,000).",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "The case. An entity case has its entity in `entity`, and `item` and `verdict` null.", "content": {"application/json": {"schema": {"type": "object", "required": ["case", "item", "verdict", "reports", "decisions", "priority_parts", "open_copies"], "properties": {"case": {"$ref": "#/components/schemas/Case"}, "open_copies": {"type": "array", "items": {"type": "integer"}}, "entity": {"$ref": "#/components/schemas/Entity"}, "item": {"type": ["object", "null"]}, "verdict": {"type": ["object", "null"]}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/cases/{id}/claim": {
              "post": {
                "summary": "Lock a case to the calling reviewer for a while. Roles: reviewer, lead.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "Claimed", "content": {"application/json": {"schema": {"type": "object", "required": ["claimed_until"], "properties": {"claimed_until": {"type": "integer"}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/cases/{id}/decisions": {
              "post": {
                "summary": "Decide a case; the action goes to the platform as a signed webhook (with `countries`: where it applies, null for everywhere). An entity case is decided as POST /v1/entities/{id}/decisions would. Roles: reviewer, lead.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["action"],
                  "properties": {
                    "action": {"type": "string", "enum": ["remove", "restrict_visibility", "geo_block", "no_violation", "escalate", "suspend"], "description": "suspend is for accounts (entity cases) only."},
                    "category": {"type": "string", "enum": ["incitement", "solicitation", "recruitment", "instruction", "threat", "dissemination"]},
                    "exemption": {"type": "string"}, "note": {"type": "string"},
                    "countries": {"type": "array", "minItems": 1, "items": {"type": "string", "enum": ["AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"]},
                      "description": "EU/EEA countries where the decision applies: required for geo_block, optional for restrict_visibility (everywhere without it), refused for other actions and for entity cases. The statement of reasons' territorial_scope."},
                    "copies": {"type": "boolean", "description": "Decide the case's open copies too (`open_copies` of GET /v1/cases/{id}, up to 1,000), each with a decision, webhook, audit entry and statement of reasons of its own; a copy claimed by another reviewer is skipped."}
                  }}}}},
                "responses": {
                  "201": {"description": "Decided", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecisionResult"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/entities": {
              "get": {
                "summary": "Accounts and containers, highest risk first. Roles: reviewer, lead, admin, auditor.",
                "parameters": [
                  {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["account", "page", "group", "channel", "room", "thread"]}},
                  {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "restricted", "suspended", "removed"]}},
                  {"name": "min_risk", "in": "query", "schema": {"type": "number", "minimum": 0, "maximum": 100}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                  "200": {"description": "Entities", "content": {"application/json": {"schema": {"type": "object", "required": ["entities"], "properties": {"entities": {"type": "array", "items": {"$ref": "#/components/schemas/Entity"}}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/entities/{id}": {
              "get": {
                "summary": "An entity: the record, its running signals, the parts of its risk, re-appearance evidence, its most recent and highest-scoring items, decisions and open case. Roles: reviewer, lead, admin, auditor.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "The entity", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["entity", "signals", "risk_parts", "recent_items", "top_items", "decisions"],
                    "properties": {
                      "entity": {"$ref": "#/components/schemas/Entity"},
                      "description": {"type": "string"},
                      "signals": {"type": "object"},
                      "risk_parts": {"type": "array", "items": {"$ref": "#/components/schemas/RiskPart"}},
                      "reappearance": {"type": "object", "required": ["of", "similarity", "evidence"], "properties": {"of": {"type": "integer"}, "similarity": {"type": "number"}, "evidence": {"type": "string"}}},
                      "recent_items": {"type": "array", "items": {"$ref": "#/components/schemas/EntityItem"}},
                      "top_items": {"type": "array", "items": {"$ref": "#/components/schemas/EntityItem"}},
                      "decisions": {"type": "array", "items": {"type": "object"}},
                      "open_case": {"$ref": "#/components/schemas/Case"}
                    }}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/entities/{id}/decisions": {
              "post": {
                "summary": "Decide on an account or container: sets its status (remove: removed, suspend: suspended (accounts only), restrict_visibility: restricted, no_violation: active; escalate leaves it), closes its open entity case, and sends a signed webhook with the ids of its violating and review items as evidence. Roles: reviewer, lead.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["action"],
                  "properties": {
                    "action": {"type": "string", "enum": ["remove", "restrict_visibility", "suspend", "no_violation", "escalate"]},
                    "category": {"type": "string", "enum": ["incitement", "solicitation", "recruitment", "instruction", "threat", "dissemination"]},
                    "exemption": {"type": "string"}, "note": {"type": "string"}
                  }}}}},
                "responses": {
                  "201": {"description": "Decided", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DecisionResult"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/deliveries": {
              "get": {
                "summary": "Webhook deliveries (status pending, delivered or dead), oldest first, without their bodies; `after` pages on by id (`next_after`; an empty page is the end). Roles: lead, admin, auditor.",
                "parameters": [
                  {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["pending", "delivered", "dead"]}},
                  {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                  "200": {"description": "Deliveries", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["deliveries", "next_after"],
                    "properties": {
                      "deliveries": {"type": "array", "maxItems": 500, "items": {
                        "type": "object", "required": ["id", "delivery_id", "event", "status", "attempts", "next_attempt_at"],
                        "properties": {
                          "id": {"type": "integer"}, "delivery_id": {"type": "string"}, "event": {"type": "string"},
                          "status": {"type": "string", "enum": ["pending", "delivered", "dead"]}, "attempts": {"type": "integer", "minimum": 0},
                          "next_attempt_at": {"type": "integer"}, "last_error": {"type": "string"}
                        }}},
                      "next_after": {"type": "integer"}
                    }}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/deliveries/{id}/redeliver": {
              "post": {
                "summary": "Send a delivery again (a dead-lettered one, say). Roles: lead, admin.",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
                "responses": {
                  "202": {"description": "Queued", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/jobs": {
              "get": {
                "summary": "Background jobs: `hash_media` (ref: the media part's id) and `retro_hunt` (ref: the first bank entry hunted), status queued, running, done or failed, oldest first; `attempts` counts those started; `after` pages on by id (`next_after`; an empty page is the end). A media part whose every attempt ended its worker is done with `notDecoded` on the part. Roles: lead, admin, auditor.",
                "parameters": [
                  {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["queued", "running", "done", "failed"]}},
                  {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                  "200": {"description": "Jobs", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["jobs", "next_after"],
                    "properties": {
                      "jobs": {"type": "array", "maxItems": 500, "items": {
                        "type": "object", "required": ["id", "kind", "ref", "status", "attempts", "run_after"],
                        "properties": {
                          "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["hash_media", "retro_hunt"]}, "ref": {"type": "integer"},
                          "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]}, "attempts": {"type": "integer", "minimum": 0},
                          "run_after": {"type": "integer"}, "lease_until": {"type": "integer"}, "last_error": {"type": "string"},
                          "ended_at": {"type": "integer", "description": "When a done or failed job ended (Unix seconds); absent while queued or running."}
                        }}},
                      "next_after": {"type": "integer"}
                    }}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/jobs/{id}/retry": {
              "post": {
                "summary": "Do a job that ended (failed, or done) again, its attempts counted from 0: a failed retro-hunt, or a media part not decoded once the decoders are mended (a hash_media job's part goes back to queued; a match is recorded once). 409 for a job queued or running. Roles: lead, admin.",
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {
                  "202": {"description": "Queued", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["id", "status"],
                    "properties": {"id": {"type": "integer"}, "status": {"type": "string", "enum": ["queued"]}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
                  "404": {"$ref": "#/components/responses/Error"}, "409": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/banks": {
              "get": {
                "summary": "The hash banks, with their settings and active entries by signal type. Roles: reviewer, lead, admin, auditor.",
                "responses": {
                  "200": {"description": "Banks", "content": {"application/json": {"schema": {"type": "object", "required": ["banks"], "properties": {"banks": {"type": "array", "items": {
                    "type": "object", "required": ["name", "kind", "quarantined", "pdq_threshold", "labels", "description", "entries"],
                    "properties": {
                      "name": {"type": "string"}, "kind": {"type": "string", "enum": ["block", "allow"]}, "quarantined": {"type": "boolean"},
                      "pdq_threshold": {"type": "integer"}, "labels": {"type": "array", "items": {"type": "string"}},
                      "description": {"type": "string"}, "entries": {"type": "object", "additionalProperties": {"type": "integer"}}
                    }}}}}}}},
                  "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              },
              "post": {
                "summary": "Create a bank (durable, audited). Roles: lead, admin.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["name"],
                  "properties": {
                    "name": {"type": "string"}, "kind": {"type": "string", "enum": ["block", "allow"]}, "quarantined": {"type": "boolean"},
                    "pdq_threshold": {"type": "integer", "minimum": 0, "maximum": 128}, "labels": {"type": "array", "items": {"type": "string"}},
                    "description": {"type": "string"}
                  }}}}},
                "responses": {
                  "201": {"description": "Created", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "200": {"description": "Already there, unchanged", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/banks/{name}/entries": {
              "post": {
                "summary": "Add entries (up to 10,000 values of one signal type); new PDQ entries start a retro-hunt over stored media. Roles: lead, admin.",
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BankEntries"}}}},
                "responses": {
                  "200": {"description": "Counts", "content": {"application/json": {"schema": {"type": "object", "required": ["added", "unchanged"], "properties": {"added": {"type": "integer"}, "unchanged": {"type": "integer"}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                }
              },
              "delete": {
                "summary": "Remove entries. Roles: lead, admin.",
                "parameters": [{"name": "name", "in": "path", "required": true, "schema": {"type": "string"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BankEntries"}}}},
                "responses": {
                  "200": {"description": "Count", "content": {"application/json": {"schema": {"type": "object", "required": ["removed"], "properties": {"removed": {"type": "integer"}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/banks/{name}/import": {
              "post": {
                "summary": "Import a hash list (te, hma or hash-labels); bad lines are reported by number and skipped. Roles: lead, admin.",
                "parameters": [
                  {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
                  {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["te", "hma", "hash-labels"]}},
                  {"name": "type", "in": "query", "schema": {"type": "string"}},
                  {"name": "source", "in": "query", "schema": {"type": "string"}}
                ],
                "requestBody": {"required": true, "content": {"text/plain": {"schema": {"type": "string"}}}},
                "responses": {
                  "200": {"description": "Counts and the bad lines", "content": {"application/json": {"schema": {"type": "object"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"},
                  "503": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/banks/{name}/export": {
              "get": {
                "summary": "The bank's active entries as a hash list. Roles: lead, admin, auditor.",
                "parameters": [
                  {"name": "name", "in": "path", "required": true, "schema": {"type": "string"}},
                  {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["te", "hma", "hash-labels"]}}
                ],
                "responses": {
                  "200": {"description": "The list", "content": {"text/csv": {"schema": {"type": "string"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/removal-orders": {
              "post": {
                "summary": "A removal order (Regulation (EU) 2021/784, Article 3; the parts of its Annex I form Bulwark acts on). Every named item the platform has sent is removed at once through the decision path (a decision, a signed webhook with the order, an audit entry); the one-hour clock starts at receipt and stops when the platform has every webhook. Targets that cannot be executed (unknown items, bare URLs) are answered with the reason. The same authority and reference again returns the first order (200). At most 1,000 targets. Role: authority.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["authority", "reference", "legal_basis", "reasons"],
                  "properties": {
                    "authority": {"type": "string", "minLength": 1, "maxLength": 256},
                    "reference": {"type": "string", "minLength": 1, "maxLength": 256},
                    "legal_basis": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "reasons": {"type": "string", "minLength": 1, "maxLength": 10000},
                    "category": {"type": "string", "enum": ["incitement", "solicitation", "recruitment", "instruction", "threat", "dissemination"]},
                    "issued_at": {"type": "integer"},
                    "items": {"type": "array", "maxItems": 1000, "items": {"type": "object", "required": ["platform", "id"], "properties": {"platform": {"type": "string"}, "id": {"type": "string"}}}},
                    "urls": {"type": "array", "maxItems": 1000, "items": {"type": "string"}}
                  }}}}},
                "responses": {
                  "201": {"description": "Received and executed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RemovalOrder"}}}},
                  "200": {"description": "Already received", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RemovalOrder"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              },
              "get": {
                "summary": "Removal orders received in [from, to) (Unix seconds; from 0 to now by default), newest first, each with its clock; `before` pages back by id (`next_before`, null on the last page). Roles: authority, lead, auditor, admin.",
                "parameters": [
                  {"name": "from", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                  {"name": "to", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                  {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                  "200": {"description": "Orders", "content": {"application/json": {"schema": {"type": "object", "required": ["removal_orders", "next_before"], "properties": {"removal_orders": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/RemovalOrder"}}, "next_before": {"type": ["integer", "null"]}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/removal-orders/{id}": {
              "get": {
                "summary": "A removal order with its clock and the outcome of each target (the feedback of Annex II). Roles: authority, lead, auditor, admin.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "The order", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RemovalOrder"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/statements": {
              "get": {
                "summary": "Statements of reasons (Regulation (EU) 2022/2065, Article 17) for restricting decisions after decision id `after`, in the EU DSA Transparency Database's statement format (category STATEMENT_CATEGORY_RISK_FOR_PUBLIC_SECURITY, keyword KEYWORD_TERRORIST_CONTENT), at most 100 per batch; `next_after` continues. Roles: auditor, admin, lead.",
                "parameters": [{"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}}, {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}],
                "responses": {
                  "200": {"description": "A batch", "content": {"application/json": {"schema": {"type": "object", "required": ["statements", "next_after"], "properties": {"statements": {"type": "array", "maxItems": 100, "items": {"type": "object", "required": ["puid", "decision_ground", "category", "content_type", "decision_facts", "source_type"]}}, "next_after": {"type": "integer"}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/appeals": {
              "post": {
                "summary": "A content provider's complaint against a restricting decision (Regulation (EU) 2021/784, Article 10; Regulation (EU) 2022/2065, Article 20), forwarded by the platform: the decision by id, or the item by platform and id (its latest restricting decision). Starts a two-week clock. One appeal per decision (200 returns the first). Role: ingest.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["appellant", "reason"],
                  "properties": {
                    "decision_id": {"type": "integer"}, "platform": {"type": "string"}, "id": {"type": "string"},
                    "appellant": {"type": "string", "minLength": 1, "maxLength": 256, "description": "The provider's pseudonymous id."},
                    "reason": {"type": "string", "minLength": 1, "maxLength": 10000}
                  }}}}},
                "responses": {
                  "201": {"description": "Filed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Appeal"}}}},
                  "200": {"description": "Already filed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Appeal"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              },
              "get": {
                "summary": "Appeals, nearest deadline first, 500 a page by default; `after` (an appeal id) continues after that appeal (`next_after`, null on the last page). Roles: reviewer, lead, auditor, admin.",
                "parameters": [
                  {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["open", "upheld", "reversed"]}},
                  {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                  "200": {"description": "Appeals", "content": {"application/json": {"schema": {"type": "object", "required": ["appeals", "next_after"], "properties": {"appeals": {"type": "array", "maxItems": 500, "items": {"$ref": "#/components/schemas/Appeal"}}, "next_after": {"type": ["integer", "null"]}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/appeals/{id}": {
              "get": {
                "summary": "An appeal with its two-week clock. Roles: ingest, reviewer, lead, auditor, admin.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "The appeal", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Appeal"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/appeals/{id}/decision": {
              "post": {
                "summary": "Decide an appeal; never by the reviewer who made the appealed decision (403). Reversed: a reinstate decision on the case, its signed webhook and an audit entry; an exemption (Regulation (EU) 2021/784, Article 1(3)) may be the reason. Roles: reviewer, lead.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["outcome"],
                  "properties": {
                    "outcome": {"type": "string", "enum": ["upheld", "reversed"]},
                    "exemption": {"type": "string", "enum": ["journalistic", "educational", "research", "artistic", "counter_speech"]},
                    "note": {"type": "string"}
                  }}}}},
                "responses": {
                  "201": {"description": "Decided", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Appeal"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "409": {"$ref": "#/components/responses/Error"}, "413": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/reports/transparency": {
              "get": {
                "summary": "The transparency report for [from, to) (UTC days): items flagged by automated detection, removals by category, language and source, decisions by a person vs executing removal orders, removal orders against the one-hour clock and the 12-month count (exposed at two), complaints, outcomes, reinstatements and the time to decide them, referrals to law enforcement by Member State, and the time from a case's opening to its first decision by source (count, median, 90th percentile, within one hour). JSON, Markdown, or HTML with inline SVG charts. Roles: auditor, admin, lead, authority.",
                "parameters": [
                  {"name": "from", "in": "query", "required": true, "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}},
                  {"name": "to", "in": "query", "required": true, "schema": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}},
                  {"name": "format", "in": "query", "schema": {"type": "string", "enum": ["json", "markdown", "html"]}}
                ],
                "responses": {
                  "200": {"description": "The report", "content": {
                    "application/json": {"schema": {"type": "object", "required": ["period", "items", "restrictions", "removal_orders", "appeals", "referrals_to_law_enforcement", "time_to_first_decision"]}},
                    "text/markdown": {"schema": {"type": "string"}}, "text/html": {"schema": {"type": "string"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/preserved/{item_id}": {
              "get": {
                "summary": "A removed item's preserved copy (Regulation (EU) 2021/784, Article 6): kept six months after removal, longer when extended, then purged (text, links, verdict, report texts and media bytes erased; audited). Every read is audited. Roles: auditor, authority.",
                "parameters": [{"name": "item_id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "responses": {
                  "200": {"description": "The preserved item", "content": {"application/json": {"schema": {"type": "object", "required": ["item", "decision_id", "preserved_at", "expires_at", "extensions", "media_parts"]}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/preserved/{item_id}/extension": {
              "post": {
                "summary": "Extends a preservation by 1-6 months from its current expiry, on a competent authority's or court's request (the reason is recorded in the audit log). Roles: authority, admin.",
                "parameters": [{"name": "item_id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["months", "reason"],
                  "properties": {"months": {"type": "integer", "minimum": 1, "maximum": 6}, "reason": {"type": "string", "minLength": 1, "maxLength": 2000}}}}}},
                "responses": {
                  "200": {"description": "Extended", "content": {"application/json": {"schema": {"type": "object", "required": ["item", "expires_at"]}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/referrals": {
              "post": {
                "summary": "Refers an item to law enforcement: only terrorist content involving an imminent threat to life (Regulation (EU) 2021/784, Article 14(5); Regulation (EU) 2022/2065, Article 18), attested by `imminent_threat_to_life`. `member_state` is the Member State concerned (ISO 3166-1 alpha-2), left out when it cannot be identified (then Europol and the main establishment's point of contact). Recorded with the lead who referred it, sent to the platform as a signed webhook (event `referral`: the item's platform ids, authority, Member State, grounds, lead) and audited (`referral.create`). Roles: lead.",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {
                  "type": "object", "required": ["item_id", "authority", "grounds", "imminent_threat_to_life"],
                  "properties": {
                    "item_id": {"type": "integer"},
                    "authority": {"type": "string", "minLength": 1, "maxLength": 200},
                    "member_state": {"type": "string", "enum": ["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"]},
                    "grounds": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "imminent_threat_to_life": {"type": "boolean", "const": true}}}}}},
                "responses": {
                  "201": {"description": "Referred", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Referral"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "413": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              },
              "get": {
                "summary": "Referrals, newest first, without the items' content; `before` pages back by id (`next_before`, null on the last page); `item_id` gives one item's. Roles: lead, auditor, admin.",
                "parameters": [
                  {"name": "item_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                  {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}}
                ],
                "responses": {
                  "200": {"description": "Referrals", "content": {"application/json": {"schema": {
                    "type": "object", "required": ["referrals", "next_before"], "properties": {"referrals": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/Referral"}}, "next_before": {"type": ["integer", "null"]}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/referrals/{id}": {
              "get": {
                "summary": "One referral with the item referred (its content, until a preservation purge erases it). Every read is audited (`referral.read`). Roles: lead, auditor, admin.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "The referral", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Referral"}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/decisions/{id}/statement": {
              "get": {
                "summary": "One restricting decision's statement of reasons, in the EU DSA Transparency Database's format, for the platform to give its content provider (Regulation (EU) 2022/2065, Article 17; Regulation (EU) 2021/784, Article 11). Roles: ingest, auditor, admin, lead, reviewer.",
                "parameters": [{"$ref": "#/components/parameters/id"}],
                "responses": {
                  "200": {"description": "The statement", "content": {"application/json": {"schema": {"type": "object", "required": ["puid", "decision_ground", "category", "decision_facts", "source_type"]}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"},
                  "403": {"$ref": "#/components/responses/Error"}, "404": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            },
            "/v1/audit": {
              "get": {
                "summary": "The hash-chained audit log in order, the entries after sequence number `after` (500 a page by default); `next_after` continues, an empty page is the end. Roles: auditor, admin.",
                "parameters": [
                  {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0}},
                  {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}}
                ],
                "responses": {
                  "200": {"description": "Entries", "content": {"application/json": {"schema": {"type": "object", "required": ["entries", "next_after"], "properties": {"entries": {"type": "array", "maxItems": 500}, "next_after": {"type": "integer"}}}}}},
                  "400": {"$ref": "#/components/responses/Error"}, "401": {"$ref": "#/components/responses/Error"}, "403": {"$ref": "#/components/responses/Error"},
                  "429": {"$ref": "#/components/responses/Error"}
                }
              }
            }
          }
        }
        """#
}
