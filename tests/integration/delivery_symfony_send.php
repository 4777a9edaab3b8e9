<?php
// Sends one message through Symfony Mailer (Debian's php-symfony-mailer) the way Nextcloud >= 26
// builds its SMTP transport (lib/private/Mail/Mailer.php, getSmtpInstance): an EsmtpTransport
// with tls = true for implicit TLS ("ssl") or null (auto STARTTLS) otherwise, a 10 s timeout,
// user name and password, stream options for a self-signed certificate, the local domain.
// Usage: php delivery_symfony_send.php HOST PORT implicit|starttls USER PASSWORD FROM TO SUBJECT
// Exit 0 and print "sent <message id>" on success; exit 1 and print the exception otherwise.
require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mime/autoload.php';

use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport\Smtp\EsmtpTransport;
use Symfony\Component\Mime\Address;
use Symfony\Component\Mime\Email;

if ($argc !== 9) {
    fwrite(STDERR, "usage: php delivery_symfony_send.php HOST PORT implicit|starttls USER PASSWORD FROM TO SUBJECT\n");
    exit(2);
}
[, $host, $port, $mode, $user, $password, $from, $to, $subject] = $argv;

// As in Nextcloud's getSmtpInstance(): tls is true for mail_smtpsecure = 'ssl', otherwise null
// (Symfony decides: plain connection, upgraded with STARTTLS when the server offers it).
$transport = new EsmtpTransport($host, (int)$port, $mode === 'implicit' ? true : null);
$stream = $transport->getStream();
$stream->setTimeout(10);  // mail_smtptimeout default
$transport->setUsername($user);  // mail_smtpauth = true, mail_smtpname
$transport->setPassword($password);  // mail_smtppassword
// mail_smtpstreamoptions as admins set it for a self-signed certificate, merged the same way.
$stream->setStreamOptions(array_merge_recursive($stream->getStreamOptions(), [
    'ssl' => ['allow_self_signed' => true, 'verify_peer' => false, 'verify_peer_name' => false],
]));
$transport->setLocalDomain('cloud.example.org');  // host of overwrite.cli.url

// Like Nextcloud's mails: a display name on From, a text and an HTML part.
$email = (new Email())
    ->from(new Address($from, 'Nextcloud'))
    ->to($to)
    ->subject($subject)
    ->text("Hello from Symfony Mailer via Herald.\n")
    ->html("<p>Hello from <b>Symfony Mailer</b> via Herald.</p>\n");

try {
    $sent = $transport->send($email);
    echo "sent " . $sent->getMessageId() . "\n";
    exit(0);
} catch (\Throwable $e) {
    echo "failed: " . get_class($e) . ": " . $e->getMessage() . "\n";
    exit(1);
}
