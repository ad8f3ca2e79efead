// signup.html: POST /api/auth/signup, then (when Cognito asks for it) the
// code step POST /api/auth/confirm; the account then awaits an operator.
import { api } from '../api.js';
import { $, announce, clearFieldErrors, clearNotice, el, markFieldError, renderPublicHeader, showError, showNotice } from '../app.js';

renderPublicHeader();
const signupForm = $('#signup-form');
const confirmForm = $('#confirm-form');
const message = $('#message');
const done = $('#done');
let account = null; // { email, vendor_name, vendor_id }

function finish() {
  signupForm.hidden = true;
  confirmForm.hidden = true;
  done.hidden = false;
  $('#heading').textContent = 'Account created';
  showNotice(message, 'ok', 'Your account awaits operator approval',
    el('p', {}, 'Vendor ', el('strong', { text: account.vendor_name }), ` (${account.vendor_id}) is registered as ${account.email}.`),
    'Log in now: your first log-in puts the account in the operators\' approval queue. Uploads are enabled once a marketplace operator approves it.');
  announce('Account created. It awaits operator approval.');
  done.querySelector('a').focus();
}

signupForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearNotice(message);
  clearFieldErrors(signupForm);
  const vendorName = signupForm.vendor_name.value.trim();
  const email = signupForm.email.value.trim();
  const password = signupForm.password.value;
  const empty = [[vendorName, 'vendor_name'], [email, 'email'], [password, 'password']].find(([v]) => !v);
  if (empty) {
    showNotice(message, 'error', 'Could not create the account', 'Fill in the company name, email and password.');
    signupForm[empty[1]].focus();
    return;
  }
  const button = signupForm.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const result = await api.signup(vendorName, email, password);
    account = { email, vendor_name: vendorName, vendor_id: result.vendor_id };
    if (result.confirmation_required) {
      signupForm.hidden = true;
      confirmForm.hidden = false;
      $('#heading').textContent = 'Confirm your email';
      $('#confirm-intro').textContent = `We sent a confirmation code to ${email}. Enter it to finish creating the account.`;
      announce('Account created. Enter the confirmation code we sent by email.');
      confirmForm.code.focus();
    } else {
      finish();
    }
  } catch (error) {
    button.disabled = false;
    showError(message, error, 'Could not create the account');
    markFieldError(signupForm, error);
  }
});

confirmForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearNotice(message);
  clearFieldErrors(confirmForm);
  const code = confirmForm.code.value.trim();
  if (!code) {
    showNotice(message, 'error', 'Could not confirm', 'Enter the code from the email.');
    confirmForm.code.focus();
    return;
  }
  const button = confirmForm.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    await api.confirm(account.email, code);
    finish();
  } catch (error) {
    button.disabled = false;
    showError(message, error, 'Could not confirm the account');
    if (!markFieldError(confirmForm, error)) confirmForm.code.focus();
  }
});
