// login.html: POST /api/auth/login sets the session cookies; then go to
// `next` (a path on this origin) or the dashboard.
import { api } from '../api.js';
import { $, announce, clearFieldErrors, clearNotice, markFieldError, params, renderPublicHeader, safeNext, showError, showNotice } from '../app.js';

renderPublicHeader();
const form = $('#login-form');
const message = $('#message');
const next = safeNext(params().get('next'));

if (params().has('next')) {
  showNotice(message, 'info', null, 'Please log in to continue.');
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  clearNotice(message);
  clearFieldErrors(form);
  const email = form.email.value.trim();
  const password = form.password.value;
  if (!email || !password) {
    showNotice(message, 'error', 'Could not log in', 'Enter your email and password.');
    (email ? form.password : form.email).focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  announce('Logging in…');
  try {
    const me = await api.login(email, password);
    announce('Logged in.');
    // An operator goes to the console, unless a console page sent them here.
    const operator = me && me.role === 'operator';
    window.location.assign(operator && !/\/admin-/.test(next) ? 'admin-uploads.html' : next);
  } catch (error) {
    button.disabled = false;
    const title = error.status === 401 ? 'Wrong email or password' : 'Could not log in';
    showError(message, error, title);
    if (!markFieldError(form, error)) form.password.focus();
  }
});
