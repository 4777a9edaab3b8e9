// The DNS records a domain owner publishes for Herald (DirectMail-style), and the pure checks
// that compare what DNS returned against them. No I/O here: the caller looks the names up.
//
//   ownership  TXT _herald.DOMAIN                  herald-verification=<token>
//   spf        TXT DOMAIN                          v=spf1 a:<herald hostname> -all
//   dkim       TXT <selector>._domainkey.DOMAIN    v=DKIM1; k=rsa; p=<public key>
//   dmarc      TXT _dmarc.DOMAIN                   v=DMARC1; p=none; rua=mailto:dmarc@DOMAIN
// The first three are required for a domain to count as verified; DMARC is recommended.
// During a DKIM key rotation (dkim_rotation.h) two more records may be listed, never required
// for verification:
//   dkim-next      the pending key's record: publish it, then activate the rotation
//   dkim-previous  the retired key's record: keep it for a few days so that mail signed with
//                  it before the activation still verifies
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace herald::accounts {

struct DnsRecordSpec {
  std::string purpose;  // ownership | spf | dkim | dkim-next | dkim-previous | dmarc
  std::string name;     // fully qualified, no trailing dot
  std::string type;     // always TXT today
  std::string value;    // what to publish
  bool required = true;
  std::string hint;  // why and until when to publish it, for the records that are not required
};

std::vector<DnsRecordSpec> records_to_publish(const store::Domain& domain,
                                              std::string_view herald_hostname);

// The DKIM records alone (dkim, then dkim-next and dkim-previous when there are such keys).
std::vector<DnsRecordSpec> dkim_records(const store::Domain& domain);

// What the resolver answered for a record's name.
struct TxtLookup {
  bool failed = false;              // timeout, SERVFAIL...: we could not tell
  std::string error;                // human text when failed
  std::vector<std::string> values;  // every TXT record at the name (empty: none / NXDOMAIN)
};

struct RecordCheck {
  DnsRecordSpec spec;
  bool pass = false;
  std::string seen;    // the value that decided (or every value seen, joined by " | ")
  std::string reason;  // why it failed; empty on pass
};

RecordCheck check_record(const DnsRecordSpec& spec, const TxtLookup& lookup,
                         std::string_view herald_hostname);

// True when every required record passed.
bool all_required_pass(const std::vector<RecordCheck>& checks);

}  // namespace herald::accounts
