<?php
// Sends one message through Symfony Mailer (Debian's php-symfony-mailer) the way Nextcloud >= 26
// builds its SMTP transport (lib/private/Mail/Mailer.php, getSmtpInstance): an EsmtpTransport
// with tls = true for implicit TLS ("ssl") or false/auto-STARTTLS otherwise, user name and
// password, and stream options for a self-signed certificate.
// Usage: php symfony_send.php HOST PORT implicit|starttls USER PASSWORD FROM TO SUBJECT
// Exit 0 and print "sent <message id>" on success; exit 1 and print the exception otherwise.
require_once '/usr/share/php/Symfony/Component/Mailer/autoload.php';
require_once '/usr/share/php/Symfony/Component/Mime/autoload.php';

use Symfony\Component\Mailer\Mailer;
use Symfony\Component\Mailer\Transport\Smtp\EsmtpTransport;
use Symfony\Component\Mime\Email;

if ($argc !== 9) {
    fwrite(STDERR, "usage: php symfony_send.php HOST PORT implicit|starttls USER PASSWORD FROM TO SUBJECT\n");
    exit(2);
}
[, $host, $port, $mode, $user, $password, $from, $to, $subject] = $argv;

$transport = new EsmtpTransport($host, (int)$port, $mode === 'implicit');
$transport->setUsername($user);
$transport->setPassword($password);
$transport->getStream()->setStreamOptions([
    'ssl' => ['verify_peer' => false, 'verify_peer_name' => false, 'allow_self_signed' => true],
]);

$email = (new Email())
    ->from($from)
    ->to($to)
    ->subject($subject)
    ->text("Hello from Symfony Mailer via Herald.\n");

try {
    $sent = $transport->send($email);
    echo "sent " . $sent->getMessageId() . "\n";
    exit(0);
} catch (\Throwable $e) {
    echo "failed: " . get_class($e) . ": " . $e->getMessage() . "\n";
    exit(1);
}
